import { DynamicModule, Global, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule, TypeOrmModuleOptions } from '@nestjs/typeorm';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { ClsModule } from 'nestjs-cls';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig, DatabaseConfig } from '../config/app-config';
import { DatabaseIdentity, DatabaseIdentityRow } from './database-identity';
import { BackgroundPool } from './background-pool';
import { applyMysqlBudgets } from './mysql-budgets';
import { assertNoPendingMigrations, PendingMigrationsError, runMigrations } from './run-migrations';
import { type MigrationClass, type SchemaPart } from './schema-part';
import { Sql } from './sql';
import { MysqlDialect, SqlDialect, SqliteDialect } from './sql-dialect';
import { TypeOrmTransactionAdapter } from './transaction-adapter';
import { TransactionRunner } from './transaction-runner';

/**
 * The data source for the profile (SQLite file or MySQL/MariaDB) with its `SqlDialect`, schema by
 * migrations in both, the one statement runner `Sql` (which every repository uses, with rows mapped
 * by its entity's `Table`) and the one transaction mechanism: `TransactionRunner.run()` over
 * @nestjs-cls/transactional's `TransactionHost`, on whose transaction `Sql` runs, so every
 * repository joins the caller's transaction. On MySQL, a `BackgroundPool` of its own for the outbox relay.
 */
@Global()
@Module({})
export class DatabaseModule {
  /** `migrations`: every owner's, oldest first (src/schema.ts); the entities come from each module's `forFeature`. */
  static forRoot(config: AppConfig, migrations: MigrationClass[]): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => typeOrmOptions(config, migrations),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options as DataSourceOptions).initialize();
            try {
              // runMigrations may wait long for another instance's migration lock.
              if (config.db.migrationsRun) await runMigrations(dataSource);
              else await assertNoPendingMigrations(dataSource);
            } catch (error) {
              await dataSource.destroy(); // its pool, before a retry opens another
              throw error;
            }
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

/** The Nest module's options: {@link dataSourceOptions} plus each module's entities (`forFeature`). */
export function typeOrmOptions(config: AppConfig, migrations: MigrationClass[]): TypeOrmModuleOptions {
  const options = dataSourceOptions(config, { entities: [], migrations });
  return {
    ...options,
    autoLoadEntities: true,
    ...(options.type === 'mysql' ? { retryAttempts: 10, retryDelay: 2000 } : {}),
    // Waiting does not apply the missing migrations: fail at once with the reason.
    toRetry: (error: unknown) => !(error instanceof PendingMigrationsError),
  };
}

/**
 * The one place the TypeORM options are built, for the app and for the migration commands
 * (src/schema.ts). `schema.entities`: besides this module's own; the app leaves them to autoLoadEntities.
 */
export function dataSourceOptions(config: DatabaseConfig, schema: SchemaPart): DataSourceOptions {
  const common = {
    entities: [DatabaseIdentityRow, ...schema.entities],
    migrations: schema.migrations,
    migrationsRun: false, // run by runMigrations() under a lock, when DB_MIGRATIONS_RUN allows
    synchronize: false, // the schema changes only through migrations, in every profile
  };
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
  };
}
