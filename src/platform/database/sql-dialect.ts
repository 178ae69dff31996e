import { QueryFailedError, type QueryRunner } from 'typeorm';
import { QueryRunnerAlreadyReleasedError } from 'typeorm/error/QueryRunnerAlreadyReleasedError';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import { DateUtils } from 'typeorm/util/DateUtils';

export interface SqlResult<Row> {
  rows: Row[];
  /** Rows changed by an UPDATE, INSERT or DELETE. */
  affected: number;
  /** The generated id of a single-row INSERT. */
  insertId?: number;
}

/**
 * What differs between the two engines, so that `Sql`, `TransactionRunner` and the outbox relay
 * never ask which profile runs. `DatabaseModule.forRoot` picks the adapter with the data source.
 */
export abstract class SqlDialect {
  /** False on SQLite: one connection serves the process, so write transactions must queue. */
  abstract readonly concurrentTransactions: boolean;
  /** Appended to a SELECT that claims rows several workers share (empty where rows cannot be skipped). */
  abstract readonly claimRowsClause: string;
  /** Isolation for a long transaction that must not block inserts by gap locks (none where the engine has none). */
  abstract readonly noGapLocks: { isolationLevel?: IsolationLevel };
  /** A statement parameter as this engine stores it. */
  abstract bind(value: unknown): unknown;
  /** The driver connection under a transaction's query runner, for ending it when it overruns; none where it cannot be. */
  abstract abortableConnection(runner: QueryRunner | undefined): unknown;

  /** Runs one statement (parameters already bound) on the runner's connection: by default through TypeORM's `query`. */
  async run<Row>(runner: QueryRunner, statement: string, values: unknown[]): Promise<SqlResult<Row>> {
    const result = await runner.query(statement, values, true);
    const raw = result.raw as number | { insertId?: number } | undefined;
    return {
      rows: (result.records ?? []) as Row[],
      affected: result.affected ?? 0,
      insertId: typeof raw === 'number' ? raw : raw?.insertId,
    };
  }
}

/** What mysql2 answers a statement with: the rows of a SELECT, or the OK packet of a write. */
type MysqlAnswer = Array<Record<string, unknown>> | { affectedRows?: number; insertId?: number };

interface MysqlConnection {
  query(sql: string, values: unknown[], callback: (error: Error | null, answer: MysqlAnswer) => void): unknown;
}

/** MySQL / MariaDB over mysql2: Dates are bound natively, rows are locked with SKIP LOCKED. */
export class MysqlDialect extends SqlDialect {
  readonly concurrentTransactions = true;
  readonly claimRowsClause = ' FOR UPDATE SKIP LOCKED';
  readonly noGapLocks = { isolationLevel: 'READ COMMITTED' as const };

  bind(value: unknown): unknown {
    return value;
  }

  abortableConnection(runner: QueryRunner | undefined): unknown {
    return (runner as { databaseConnection?: unknown } | undefined)?.databaseConnection;
  }

  /**
   * Straight on the runner's mysql2 connection (the one of the transaction, or a pooled one), with
   * the statement budget of mysql-budgets.ts on it. TypeORM's `query` around the same call costs
   * CPU on every hot statement for what this app does not use (query subscribers, query logging,
   * a slow-query clock, a copy of the rows); its errors are kept: a failed statement rejects with
   * the same `QueryFailedError`, which the deadlock retry and unique-key checks read.
   */
  override async run<Row>(runner: QueryRunner, statement: string, values: unknown[]): Promise<SqlResult<Row>> {
    if (runner.isReleased) throw new QueryRunnerAlreadyReleasedError();
    const connection = (await runner.connect()) as MysqlConnection;
    return new Promise((resolve, reject) => {
      connection.query(statement, values, (error, answer) => {
        if (error) reject(new QueryFailedError(statement, values, error));
        else if (Array.isArray(answer)) resolve({ rows: answer as Row[], affected: 0 });
        else resolve({ rows: [], affected: answer.affectedRows ?? 0, insertId: answer.insertId });
      });
    });
  }
}

/** SQLite over better-sqlite3: DATETIME columns hold UTC text; the whole file is locked by a writer. */
export class SqliteDialect extends SqlDialect {
  readonly concurrentTransactions = false;
  readonly claimRowsClause = '';
  readonly noGapLocks = {};

  bind(value: unknown): unknown {
    return value instanceof Date ? DateUtils.mixedDateToUtcDatetimeString(value) : value;
  }

  abortableConnection(): unknown {
    return undefined;
  }
}
