/**
 * `npm run migration:check` (CI, .ci/run): the migration commands on a scratch database of their own,
 * as a user runs them, and schema = code. Creates `<DB_NAME>_mig_check_<pid>` (named after DB_NAME so
 * the grant of `npm run engines:up`, `commerce%`, covers it), then: migration:run, migration:show
 * (nothing pending), migration:generate --check (fails when TypeORM would generate anything: an
 * entity and the migrated schema differ), migration:revert and :show (the last one pending), and
 * migration:run again. Drops the database at the end, pass or fail.
 * MySQL/MariaDB from DB_HOST, DB_PORT, DB_USER, DB_PASSWORD (the environment or .env).
 */
import { spawnSync } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { loadDatabaseConfig } from '../../src/platform/config/app-config';
import { MIGRATIONS } from '../../src/schema';

const ROOT = join(__dirname, '..', '..');

async function main(): Promise<void> {
  if (existsSync(join(ROOT, '.env'))) process.loadEnvFile(join(ROOT, '.env'));
  const { db } = loadDatabaseConfig({ ...process.env, APP_PROFILE: 'full' });
  const scratch = `${db.name}_mig_check_${process.pid}`;
  const admin = async (sql: string) => {
    const connection = await createConnection({ host: db.host, port: db.port, user: db.user, password: db.password });
    try {
      await connection.query(sql);
    } finally {
      await connection.end();
    }
  };
  const env = { ...process.env, APP_PROFILE: 'full', DB_NAME: scratch };
  const npm = (...args: string[]): string => {
    process.stdout.write(`$ npm run ${args.join(' ')}\n`);
    const result = spawnSync('npm', ['run', '--silent', ...args], { cwd: ROOT, env, encoding: 'utf8' });
    // migration:revert logs every query it runs: its output only when it fails.
    if (result.status !== 0 || args[0] !== 'migration:revert') process.stdout.write(result.stdout + result.stderr);
    if (result.status !== 0) throw new Error(`npm run ${args.join(' ')} exited with ${result.status}`);
    return result.stdout;
  };
  // TypeORM's CLI underlines the list where it believes colours are wanted (CI=true is enough).
  const pending = (shown: string) =>
    stripVTControlCharacters(shown)
      .split('\n')
      .filter((line) => line.startsWith('[ ]'));

  await admin(`CREATE DATABASE \`${scratch}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  try {
    npm('migration:run');
    if (pending(npm('migration:show')).length > 0) throw new Error('migration:show lists pending migrations after migration:run');
    npm('migration:generate', '--', '--check');
    npm('migration:revert');
    const last = MIGRATIONS.at(-1)!.name;
    const afterRevert = pending(npm('migration:show'));
    if (afterRevert.length !== 1 || !afterRevert[0].includes(last))
      throw new Error(`after migration:revert, ${last} alone should be pending`);
    npm('migration:run');
    process.stdout.write(`migrations: ${MIGRATIONS.length} applied, schema matches the entities, revert and run again work\n`);
  } finally {
    await admin(`DROP DATABASE IF EXISTS \`${scratch}\``);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migration check failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
