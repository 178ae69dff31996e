import type { DataSource } from 'typeorm';
import { DependencyUnavailableError } from '../http/dependency-errors';

/** The part of a mysql2 pool connection the budgets and the background pool use. */
export interface PooledConnection {
  query(...args: unknown[]): unknown;
  release(): void;
  destroy(): void;
  stream?: { destroy(error?: Error): void };
}

/** A TypeORM data source's mysql2 pool, where connections are handed out. */
export interface MysqlPool {
  getConnection(callback: (error: Error | null, connection: PooledConnection) => void): void;
}

const BUDGETED = Symbol('budgeted');

/**
 * Time budgets mysql2 lacks: waiting for a pooled connection, and one statement. A silent server
 * (a partition) otherwise holds a request and its connection forever; mysql2's own query timeout
 * only fails the callback and keeps the connection, whose next command then queues behind the
 * lost one. So a statement over budget ends its connection: mysql2 fails everything queued on it
 * and drops it from the pool, which opens fresh ones once the server answers again.
 * (Opening a connection is bounded by mysql2's `connectTimeout`.)
 */
export function applyMysqlBudgets(dataSource: DataSource, budgets: { acquireTimeoutMs: number; statementTimeoutMs: number }): void {
  const pool = (dataSource.driver as unknown as { pool?: MysqlPool }).pool;
  if (!pool) return;
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = (callback) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      callback(new DependencyUnavailableError('mysql', `no database connection within ${budgets.acquireTimeoutMs} ms`), undefined as never);
    }, budgets.acquireTimeoutMs);
    getConnection((error, connection) => {
      if (settled) {
        if (!error) connection.release(); // arrived after its caller gave up: back to the pool
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (!error) budgetStatements(connection, budgets.statementTimeoutMs);
      callback(error, connection);
    });
  };
}

function budgetStatements(connection: PooledConnection & { [BUDGETED]?: true }, timeoutMs: number): void {
  if (connection[BUDGETED]) return;
  connection[BUDGETED] = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied below with the caller's own `this`
  const query = connection.query;
  connection.query = function budgetedQuery(this: unknown, ...args: unknown[]) {
    const callback = args[args.length - 1];
    if (typeof callback !== 'function') return query.apply(this, args);
    const timer = setTimeout(
      () => abortConnection(connection, new DependencyUnavailableError('mysql', `statement did not complete within ${timeoutMs} ms`)),
      timeoutMs,
    );
    args[args.length - 1] = (...results: unknown[]) => {
      clearTimeout(timer);
      (callback as (...r: unknown[]) => void)(...results);
    };
    return query.apply(this, args);
  };
}

/**
 * Ends a mysql2 connection with `error`: its pending and queued commands fail with it (marked
 * fatal) and the pool forgets the connection. The server rolls back whatever it had open.
 */
export function abortConnection(connection: unknown, error: Error): void {
  (connection as PooledConnection | undefined)?.stream?.destroy(error);
}
