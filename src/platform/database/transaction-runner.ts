import { Injectable, Logger } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm, type TypeOrmTransactionOptions } from '@nestjs-cls/transactional-adapter-typeorm';
import { ClsService } from 'nestjs-cls';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import { AppConfig } from '../config/app-config';
import { BackgroundPool } from './background-pool';
import { InjectAppConfig } from '../config/config.module';
import { DependencyUnavailableError } from '../http/dependency-errors';
import { driverErrorOf } from './errors';
import { abortConnection } from './mysql-budgets';
import { SqlDialect } from './sql-dialect';
import type { AdapterTransactionOptions } from './transaction-adapter';

/** Attempts of a transaction that hit a deadlock or lock-wait timeout, the first included. */
const MAX_ATTEMPTS = 4;
const AFTER_COMMIT = Symbol('afterCommit');

export interface TransactionOptions {
  isolationLevel?: IsolationLevel;
  /** On the background pool's connections instead of the request pool's (the outbox relay). */
  background?: boolean;
}

/**
 * The one way to open a transaction: a use case calls `run()` once, and every statement inside it,
 * in any module's repository, joins it (`Sql` runs on `TransactionHost.tx`, the CLS transaction).
 * Outside `run()`, `Sql` runs each statement in autocommit on a pooled connection.
 * - MySQL: a deadlock or lock-wait timeout rolls the whole attempt back; it is retried a bounded
 *   number of times with jitter, then surfaces as the database unavailable (503, Retry-After).
 * - An engine without concurrent transactions (SQLite: one connection serves the whole process)
 *   gets its transactions queued here; interleaving them on one connection would merge them.
 * - `background`: on the background pool's own connections (the outbox relay), so it never waits
 *   behind requests for a pooled one; still the CLS transaction every repository joins.
 * - A transaction open longer than DB_TRANSACTION_TIMEOUT_MS loses its connection where the
 *   dialect can end one (MySQL: the server rolls it back) and fails as "database unavailable",
 *   so a stalled server or a stuck step cannot hold a request and a pooled connection without end.
 */
@Injectable()
export class TransactionRunner {
  private readonly logger = new Logger('TransactionRunner');
  /** False where the engine has no concurrent transactions (SQLite): this runner then queues them. */
  readonly concurrent: boolean;
  private readonly timeoutMs: number;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly cls: ClsService,
    private readonly dialect: SqlDialect,
    private readonly backgroundPool: BackgroundPool,
    @InjectAppConfig() config: AppConfig,
  ) {
    this.concurrent = dialect.concurrentTransactions;
    this.timeoutMs = config.db.transactionTimeoutMs;
  }

  async run<T>(work: () => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.inTransaction()) return work();
    if (!this.cls.isActive()) return this.cls.run(() => this.run(work, options));
    for (let attempt = 1; ; attempt++) {
      const callbacks: Array<() => void> = [];
      try {
        const body = async () => {
          this.cls.set(AFTER_COMMIT, callbacks);
          const budget = this.startBudget();
          try {
            return await work();
          } finally {
            clearTimeout(budget);
          }
        };
        const txOptions: AdapterTransactionOptions = {
          isolationLevel: options.isolationLevel,
          on: options.background ? this.backgroundPool.dataSource : undefined,
        };
        // The library types isolationLevel as required; TypeORM takes it as optional.
        const result = await this.exclusive(() => this.txHost.withTransaction(txOptions as TypeOrmTransactionOptions, body));
        for (const callback of callbacks) callback();
        return result;
      } catch (error) {
        const code = transientCode(error);
        if (!code) throw error;
        if (attempt >= MAX_ATTEMPTS) {
          // Contention that outlasted every attempt: 503 and Retry-After, as for a busy dependency, not a 500.
          throw new DependencyUnavailableError('mysql', `transaction hit ${code} on all ${MAX_ATTEMPTS} attempts`);
        }
        this.logger.warn(`transaction attempt ${attempt} hit ${code}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
      }
    }
  }

  /**
   * One write statement, atomic on its own. It runs in autocommit (no BEGIN and COMMIT round
   * trips) unless a transaction is already open, which it then joins. Without concurrent
   * transactions (SQLite) the one shared connection may hold another caller's open transaction,
   * so it still gets its own.
   */
  async runStatement<T>(statement: () => Promise<T>): Promise<T> {
    if (!this.concurrent || this.inTransaction()) return this.run(statement);
    return statement();
  }

  /** Whether the caller runs inside a transaction (which `Sql` and every repository then join). */
  inTransaction(): boolean {
    return this.cls.isActive() && this.txHost.isTransactionActive();
  }

  /** Runs `callback` once the current transaction has committed (never if it rolls back). */
  afterCommit(callback: () => void): void {
    const callbacks = this.cls.isActive() ? this.cls.get<Array<() => void>>(AFTER_COMMIT) : undefined;
    if (!callbacks || !this.inTransaction()) throw new Error('afterCommit needs an open transaction');
    callbacks.push(callback);
  }

  /** Ends the transaction's connection once it has been open for longer than the budget (where the dialect can). */
  private startBudget(): NodeJS.Timeout | undefined {
    const connection = this.dialect.abortableConnection(this.txHost.tx.queryRunner);
    if (!connection) return undefined;
    const timeoutMs = this.timeoutMs;
    return setTimeout(
      () => abortConnection(connection, new DependencyUnavailableError('mysql', `transaction did not complete within ${timeoutMs} ms`)),
      timeoutMs,
    );
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.concurrent) return work();
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

const TRANSIENT_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY']);

/** The driver's code of a failure that a fresh attempt may not meet (deadlock, lock wait, busy), else undefined. */
function transientCode(error: unknown): string | undefined {
  const code = driverErrorOf(error)?.code;
  return code && TRANSIENT_CODES.has(code) ? code : undefined;
}
