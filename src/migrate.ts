import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { runMigrations } from './platform/database/run-migrations';
import { createDataSource } from './schema';

/**
 * Applies the pending migrations exactly as start-up does (each in its own transaction, under the
 * same MySQL lock), then exits: the deploy step for apps started with DB_MIGRATIONS_RUN=false.
 * `npm run migration:run`, or `node dist/migrate.js` in the image. Returns the names applied.
 */
export async function migrate(env: NodeJS.ProcessEnv, log: (line: string) => void = () => undefined): Promise<string[]> {
  const dataSource = await createDataSource(env).initialize();
  try {
    return await runMigrations(dataSource, { log });
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  if (existsSync('.env')) process.loadEnvFile('.env');
  migrate(process.env, (line) => process.stdout.write(`${line}\n`)).then(
    (applied) => {
      if (applied.length === 0) process.stdout.write('no pending migrations\n');
    },
    (error: unknown) => {
      process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
