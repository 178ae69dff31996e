import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig, runsBackgroundWork } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { TransactionRunner } from '../database/transaction-runner';
import { isUniqueViolation } from '../database/errors';
import { DomainError } from '../errors/domain-error';
import { IdempotencyKeyRepository } from './idempotency-key.repository';

// A claim older than this with no response belongs to a request that died: it may be taken over.
const ABANDONED_AFTER_MS = 60_000;
const PURGE_EVERY_MS = 10 * 60 * 1000;

export type Claim = { kind: 'new' } | { kind: 'replay'; status: number; body: unknown };

/** Stores Idempotency-Key claims and first responses per user for IDEMPOTENCY_RETENTION (24 hours). */
@Injectable()
export class IdempotencyService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Idempotency');
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly keys: IdempotencyKeyRepository,
    private readonly transactions: TransactionRunner,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  /** Claims the key for this request, or says what to answer instead. */
  async claim(userId: number, key: string, requestHash: string): Promise<Claim> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = new Date();
      try {
        // The primary key (user, key) makes exactly one concurrent request the owner.
        await this.transactions.runStatement(() =>
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
        await this.transactions.runStatement(() => this.keys.deleteClaim(userId, key, existing.createdAt));
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

  async complete(userId: number, key: string, status: number, body: unknown): Promise<void> {
    await this.transactions.runStatement(() => this.keys.complete(userId, key, status, JSON.stringify(body ?? null)));
  }

  /**
   * Forgets a claim whose request failed without a client-visible answer (5xx), so a retry may
   * run. Only an unanswered claim: if the failure came after the reply was stored (a lost COMMIT
   * acknowledgement), the stored reply stays for the retry.
   */
  async release(userId: number, key: string): Promise<void> {
    await this.transactions.runStatement(() => this.keys.deleteUnanswered(userId, key));
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
      await this.transactions.runStatement(() => this.keys.deleteExpired(new Date()));
    } catch (error) {
      this.logger.warn(`purge of expired idempotency keys failed: ${(error as Error).message}`);
    }
  }
}
