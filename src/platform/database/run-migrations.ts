import { Logger, type LoggerService } from '@nestjs/common';
import { type DataSource, MigrationExecutor } from 'typeorm';

const MIGRATION_LOCK = 'commerce:migrations';

/**
 * Applies the pending migrations, each in its own transaction, and returns their names. Several
 * instances (or an instance and `npm run migration:run`) may start at once: on MySQL a named lock
 * lets exactly one migrate at a time, and the others then find nothing pending.
 */
export async function runMigrations(
  dataSource: DataSource,
  logger: Pick<LoggerService, 'log'> = new Logger('Migrations'),
): Promise<string[]> {
  const isMysql = dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb';
  const runner = dataSource.createQueryRunner();
  try {
    if (isMysql) {
      const [row] = (await runner.query('SELECT GET_LOCK(?, 60) AS locked', [MIGRATION_LOCK])) as Array<{ locked: number | string | null }>;
      if (Number(row.locked) !== 1) throw new Error('could not take the migration lock within 60 s');
    }
    // On the connection that holds the lock: with DB_POOL_SIZE=1, dataSource.runMigrations() would
    // wait for a second connection for ever.
    const executor = new MigrationExecutor(dataSource, runner);
    executor.transaction = 'each';
    const applied = (await executor.executePendingMigrations()).map((migration) => migration.name);
    if (applied.length > 0) logger.log(`applied ${applied.join(', ')}`);
    return applied;
  } finally {
    if (isMysql) await runner.query('SELECT RELEASE_LOCK(?)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

/** Start-up refused: the database lacks migrations of this version and DB_MIGRATIONS_RUN=false. */
export class PendingMigrationsError extends Error {
  override name = 'PendingMigrationsError';
}

/** With DB_MIGRATIONS_RUN=false: start only on a database that has every migration of this version. */
export async function assertNoPendingMigrations(dataSource: DataSource): Promise<void> {
  if (await dataSource.showMigrations()) {
    throw new PendingMigrationsError(
      'the database lacks migrations this version needs and DB_MIGRATIONS_RUN=false: run `npm run migration:run` ' +
        '(in the image: node dist/migrate.js) first, or start with DB_MIGRATIONS_RUN=true',
    );
  }
}
