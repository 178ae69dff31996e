import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig, runsBackgroundWork } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { TransactionRunner } from '../database/transaction-runner';
import { isUniqueViolation } from '../database/errors';
import { DomainError } from '../errors/domain-error';
import { unavailableDependency } from '../http/dependency-errors';
import { problemOf } from '../http/problem.filter';
import type { Answer } from './answer';
import { IdempotencyKeyRepository } from './idempotency-key.repository';
import type { IdempotentRequest } from './idempotent-request';

// A claim older than this with no response belongs to a request that died: it may be taken over.
const ABANDONED_AFTER_MS = 60_000;
const PURGE_EVERY_MS = 10 * 60 * 1000;

type Claim = { kind: 'new' } | { kind: 'replay'; status: number; body: unknown };

/**
 * Stores the answer to a use case's result: inside the use case's transaction when called there,
 * so the change and its stored answer commit together. `status` when not the route's own (202).
 */
export type StoreAnswer<T> = (body: T, status?: number) => Promise<T>;

/**
 * Idempotency-Key (contract): the same user + key + request within IDEMPOTENCY_RETENTION (24 h)
 * answers the first response without redoing the work; another request with the key is 422; a
 * concurrent one 409. Answers the client saw (2xx and 4xx) are stored; a 5xx releases the key so
 * a retry runs.
 *
 * A use case takes part explicitly: `once(key, (store) => transactions.run(async () => { ...;
 * return store(view) }))`. The claim commits on its own first (that is what makes a concurrent
 * request 409); the success's answer is stored by `store` in the use case's transaction, so if
 * the change committed its answer is there for the retry, whatever fails afterwards. Without a
 * key the same code runs and `store` stores nothing.
 *
 * Handlers get the key as a parameter (`@IdempotencyKey()`), not through a Nest interceptor: a
 * route with any interceptor goes through Nest's RxJS chain and two `AsyncResource.bind` calls
 * per request, and on Node 20 and 24 each bind builds two `util.deprecate` wrappers (DEP0172):
 * 4.7% of a refused issue request's CPU, plus RxJS's 4%, on every POST, with or without a key.
 */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Idempotency');
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly keys: IdempotencyKeyRepository,
    private readonly transactions: TransactionRunner,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  /**
   * Runs `work` once per key: a fresh answer, or the first request's stored one. `work` returns
   * `store(result)`, inside its transaction; a use case that commits on its own before it returns
   * (the lock strategy serves several callers in one transaction) calls it after, where a failure
   * can lose it. Should `work` return without storing, its result is stored then.
   */
  async once<T>(request: IdempotentRequest | undefined, work: (store: StoreAnswer<T>) => Promise<T>): Promise<Answer<T>> {
    if (!request) {
      let status: number | undefined;
      const body = await work(async (result, answered) => {
        status = answered;
        return result;
      });
      return { replayed: false, status, body };
    }
    const { userId, key } = request;
    const claim = await this.claim(userId, key, request.fingerprint);
    if (claim.kind === 'replay') return { replayed: true, status: claim.status, body: claim.body };
    let status = request.status;
    let stored = false;
    try {
      // On a retried transaction (deadlock) `work` runs again, and stores again.
      const body = await work(async (result, answered = request.status) => {
        status = answered;
        await this.complete(userId, key, status, result);
        stored = true;
        return result;
      });
      if (!stored) await this.complete(userId, key, status, body);
      return { replayed: false, status, body };
    } catch (error) {
      if (error instanceof DomainError && error.status < 500) {
        await this.complete(userId, key, error.status, problemOf(error.code, error.message, error.extra.errors));
      } else if (unavailableDependency(error)) {
        // The database may be the one away: do not make the 503 wait for it as well.
        void this.release(userId, key).catch(() => undefined);
      } else {
        await this.release(userId, key).catch(() => undefined);
      }
      throw error;
    }
  }

  /** Claims the key for this request, or says what to answer instead. */
  private async claim(userId: number, key: string, requestHash: string): Promise<Claim> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = new Date();
      try {
        // The primary key (user, key) makes exactly one concurrent request the owner. A transaction,
        // not autocommit: a claim cut off by a silent database rolls back with its connection rather
        // than landing later and holding the key, unanswered, for ABANDONED_AFTER_MS.
        await this.transactions.run(() =>
          this.keys.insert({
            userId,
            key,
            requestHash,
            state: 'IN_PROGRESS',
            responseStatus: null,
            responseBody: null,
            createdAt: now,
            expiresAt: new Date(now.getTime() + this.config.idempotency.retentionSeconds * 1000),
          }),
        );
        return { kind: 'new' };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      const existing = await this.keys.find(userId, key);
      if (!existing) continue; // purged or released meanwhile: try again
      const abandoned = existing.state === 'IN_PROGRESS' && now.getTime() - existing.createdAt.getTime() > ABANDONED_AFTER_MS;
      if (existing.expiresAt <= now || abandoned) {
        await this.transactions.run(() => this.keys.deleteClaim(userId, key, existing.createdAt));
        continue;
      }
      if (existing.requestHash !== requestHash) {
        throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request');
      }
      if (existing.state === 'IN_PROGRESS') {
        throw new DomainError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still in progress', {
          headers: { 'Retry-After': String(this.config.retryAfter.busySeconds) },
        });
      }
      return { kind: 'replay', status: existing.responseStatus!, body: JSON.parse(existing.responseBody ?? 'null') };
    }
    throw new DomainError('IDEMPOTENCY_IN_PROGRESS', 'The Idempotency-Key is contended; retry');
  }

  private async complete(userId: number, key: string, status: number, body: unknown): Promise<void> {
    await this.transactions.run(() => this.keys.complete(userId, key, status, JSON.stringify(body ?? null)));
  }

  /**
   * Forgets a claim whose request failed without a client-visible answer (5xx), so a retry may
   * run. Only an unanswered claim: if the failure came after the reply was stored (a lost COMMIT
   * acknowledgement), the stored reply stays for the retry.
   */
  private async release(userId: number, key: string): Promise<void> {
    await this.transactions.run(() => this.keys.deleteUnanswered(userId, key));
  }

  onModuleInit(): void {
    if (!runsBackgroundWork(this.config)) return; // APP_ROLE=api: the worker processes purge
    this.purgeTimer = setInterval(() => void this.purgeExpired(), PURGE_EVERY_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.purgeTimer);
  }

  async purgeExpired(): Promise<void> {
    try {
      await this.transactions.run(() => this.keys.deleteExpired(new Date()));
    } catch (error) {
      this.logger.warn(`purge of expired idempotency keys failed: ${(error as Error).message}`);
    }
  }
}
