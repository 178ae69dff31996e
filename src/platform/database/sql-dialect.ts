import type { QueryRunner } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';

/**
 * What differs between the two engines, so that `Sql`, `TransactionRunner` and the outbox relay
 * never ask which profile runs. `DatabaseModule.forRoot` picks the adapter with the data source.
 */
export abstract class SqlDialect {
  /** False on SQLite: one connection serves the process, so write transactions must queue. */
  abstract readonly concurrentTransactions: boolean;
  /** Appended to a SELECT that claims rows several workers share (empty where rows cannot be skipped). */
  abstract readonly claimRowsClause: string;
  /** The start of an INSERT that skips a row whose key exists instead of failing. */
  abstract readonly insertIgnore: string;
  /** A statement parameter as this engine stores it. */
  abstract bind(value: unknown): unknown;
  /** The driver connection under a transaction's query runner, for ending it when it overruns; none where it cannot be. */
  abstract abortableConnection(runner: QueryRunner | undefined): unknown;
}

/** MySQL / MariaDB over mysql2: Dates are bound natively, rows are locked with SKIP LOCKED. */
export class MysqlDialect extends SqlDialect {
  readonly concurrentTransactions = true;
  readonly claimRowsClause = ' FOR UPDATE SKIP LOCKED';
  readonly insertIgnore = 'INSERT IGNORE';

  bind(value: unknown): unknown {
    return value;
  }

  abortableConnection(runner: QueryRunner | undefined): unknown {
    return (runner as { databaseConnection?: unknown } | undefined)?.databaseConnection;
  }
}

/** SQLite over better-sqlite3: DATETIME columns hold UTC text; the whole file is locked by a writer. */
export class SqliteDialect extends SqlDialect {
  readonly concurrentTransactions = false;
  readonly claimRowsClause = '';
  readonly insertIgnore = 'INSERT OR IGNORE';

  bind(value: unknown): unknown {
    return value instanceof Date ? DateUtils.mixedDateToUtcDatetimeString(value) : value;
  }

  abortableConnection(): unknown {
    return undefined;
  }
}
