import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { ClsModule } from 'nestjs-cls';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, DataSourceOptions, MigrationExecutor } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { DatabaseIdentity } from './database-identity';
import { MIGRATIONS } from './migrations';
import { BackgroundPool } from './background-pool';
import { applyMysqlBudgets } from './mysql-budgets';
import { Sql } from './sql';
import { MysqlDialect, SqlDialect, SqliteDialect } from './sql-dialect';
import { TypeOrmTransactionAdapter } from './transaction-adapter';
import { TransactionRunner } from './transaction-runner';

/**
 * The data source for the profile (SQLite file or MySQL/MariaDB) with its `SqlDialect`, schema by
 * migrations in both, and the one transaction mechanism: `TransactionRunner.run()` over
 * @nestjs-cls/transactional's `TransactionHost`, which lets every module's repository join the
 * caller's transaction. On MySQL, a `BackgroundPool` of its own for the outbox relay.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => typeOrmOptions(config),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options as DataSourceOptions).initialize();
            await runMigrations(dataSource); // may wait long for another instance's migration lock
            applyMysqlBudgets(dataSource, config.db);
            return dataSource;
          },
        }),
        // Plugins only, not ClsModule.forRoot(): TransactionRunner opens the CLS context a transaction
        // needs, so requests need none of their own, and forRoot() would mount a global guard and a
        // global interceptor (pass-through ones when unused) that every route then runs through.
        ClsModule.registerPlugins([
          new ClsPluginTransactional({
            imports: [TypeOrmModule],
            adapter: new TypeOrmTransactionAdapter({ dataSourceToken: getDataSourceToken() }),
          }),
        ]),
      ],
      providers: [
        { provide: SqlDialect, useValue: config.profile === 'embedded' ? new SqliteDialect() : new MysqlDialect() },
        TransactionRunner,
        Sql,
        {
          // Sized for the outbox relay, its one user: a connection per pass.
          provide: BackgroundPool,
          inject: [getDataSourceToken()],
          useFactory: (dataSource: DataSource) => BackgroundPool.open(dataSource, config.outbox.relayPasses, config.db),
        },
        {
          provide: DatabaseIdentity,
          inject: [getDataSourceToken()],
          useFactory: (dataSource: DataSource) => DatabaseIdentity.load(dataSource),
        },
      ],
      exports: [SqlDialect, TransactionRunner, Sql, DatabaseIdentity],
    };
  }
}

export function typeOrmOptions(config: AppConfig): TypeOrmModuleOptions {
  const common = {
    autoLoadEntities: true,
    migrations: MIGRATIONS,
    migrationsRun: false, // run by runMigrations() under a lock
    synchronize: false, // the schema changes only through migrations, in every profile
  } as const;
  if (config.profile === 'embedded') {
    mkdirSync(dirname(config.sqlitePath), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: config.sqlitePath,
      // WAL lets readers proceed during a write; busy_timeout queues writers instead of failing.
      prepareDatabase: (db: { pragma(sql: string): unknown }) => {
        db.pragma('journal_mode = WAL');
        db.pragma('busy_timeout = 5000');
        db.pragma('foreign_keys = ON');
      },
    };
  }
  return {
    ...common,
    type: 'mysql',
    host: config.db.host,
    port: config.db.port,
    username: config.db.user,
    password: config.db.password,
    database: config.db.name,
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    supportBigNumbers: true,
    bigNumberStrings: false,
    poolSize: config.db.poolSize,
    connectTimeout: config.db.connectTimeoutMs,
    retryAttempts: 10,
    retryDelay: 2000,
  };
}

const MIGRATION_LOCK = 'commerce:migrations';

/** Several instances may start at once: on MySQL a named lock lets exactly one migrate at a time. */
async function runMigrations(dataSource: DataSource): Promise<void> {
  const logger = new Logger('Migrations');
  const isMysql = dataSource.options.type === 'mysql';
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
    const applied = await executor.executePendingMigrations();
    if (applied.length > 0) logger.log(`applied ${applied.map((m) => m.name).join(', ')}`);
  } finally {
    if (isMysql) await runner.query('SELECT RELEASE_LOCK(?)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
