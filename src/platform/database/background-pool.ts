import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, DataSourceOptions } from 'typeorm';
import { applyMysqlBudgets, type MysqlPool, type PooledConnection } from './mysql-budgets';

/** Set once per connection, so a background transaction opens with one round trip, not two. */
const READ_COMMITTED_SESSION = 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED';
const PREPARED = Symbol('readCommittedSession');

/**
 * Connections of their own for background work that must not queue behind requests for a pooled
 * one: the outbox relay. On the request pool, under 100 connections of order + pay, a relay pass
 * waits a median of about 100 ms for a connection, and every event with it (docs/benchmarks.md, the
 * outbox latency). MySQL only: SQLite's one connection serves everything anyway.
 *
 * Its sessions run READ COMMITTED: a relay pass holds its claim while Kafka answers, and must not
 * block new orders' outbox inserts with gap locks meanwhile. Set on the session once, instead of
 * a `SET TRANSACTION` before every pass.
 */
@Injectable()
export class BackgroundPool implements OnApplicationShutdown {
  private constructor(
    /** Undefined where the engine has one connection (SQLite): background work uses the main one. */
    readonly dataSource: DataSource | undefined,
  ) {}

  /** A pool of `size` connections to the main data source's database, with the same budgets. */
  static async open(
    main: DataSource,
    size: number,
    budgets: { acquireTimeoutMs: number; statementTimeoutMs: number },
  ): Promise<BackgroundPool> {
    if (main.options.type !== 'mysql') return new BackgroundPool(undefined);
    const options = { ...main.options, poolSize: size, migrations: [], migrationsRun: false, synchronize: false } as DataSourceOptions;
    const dataSource = await new DataSource(options).initialize();
    applyMysqlBudgets(dataSource, budgets);
    readCommittedSessions(dataSource);
    return new BackgroundPool(dataSource);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }
}

/** Every connection handed out has run {@link READ_COMMITTED_SESSION} (a new one runs it first). */
function readCommittedSessions(dataSource: DataSource): void {
  const pool = (dataSource.driver as unknown as { pool: MysqlPool }).pool;
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = (callback) =>
    getConnection((error, connection: PooledConnection & { [PREPARED]?: true }) => {
      if (error || connection[PREPARED]) return callback(error, connection);
      connection.query(READ_COMMITTED_SESSION, (setError: Error | null) => {
        if (setError) {
          connection.destroy();
          return callback(setError, undefined as never);
        }
        connection[PREPARED] = true;
        callback(null, connection);
      });
    });
}
