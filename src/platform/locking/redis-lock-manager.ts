import { Injectable, Logger } from '@nestjs/common';
import { ExecutionError, Lock, Redlock, ResourceLockedError } from '@sesamecare-oss/redlock';
import { ensureCommands } from '@sesamecare-oss/redlock/build/scripts';
import type Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { InjectRedis } from '../redis/redis.module';
import { LockBusyError, LockManager, LockOptions, LockUnavailableError } from './lock-manager';

const RETRY_DELAY_MS = 25;

/**
 * Full-profile adapter: a redlock lease on the shared Redis connection. Waiting is bounded by
 * `waitMs`; the release is not waited for, and one that fails is only logged, since the lease
 * expires by itself.
 */
@Injectable()
export class RedisLockManager extends LockManager {
  private readonly logger = new Logger('RedisLockManager');
  private readonly redlock: Redlock;

  constructor(
    @InjectRedis() private readonly redis: Redis,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {
    super();
    // redlock defines its Lua commands on the client at its first use, but an auto-pipeline only has
    // the commands the client had when it opened: one already pending then failed that first lock and
    // handed its later commands another's reply, or none and no timeout (a request that never ends).
    // Defined here, before any command.
    ensureCommands(redis);
    this.redlock = new Redlock([redis], { retryDelay: RETRY_DELAY_MS, retryJitter: RETRY_DELAY_MS, retryCount: 0 });
  }

  async withLock<T>(key: string, options: LockOptions, work: () => Promise<T>): Promise<T> {
    const lock = await this.acquire(`lock:${key}`, options);
    try {
      return await work();
    } finally {
      // Not awaited: the release is written to the connection ahead of anything sent after it (this
      // instance's next acquire too), and a lease whose release fails expires by itself.
      void lock.release().catch((error: Error) => this.logger.warn(`release of ${key} failed: ${error.message}`));
    }
  }

  /**
   * Tries once per retry delay until `waitMs` has passed, each try bounded by the time left: a
   * held lock is LockBusyError at the deadline; a Redis that fails or does not answer (every
   * command is also bounded by REDIS_COMMAND_TIMEOUT_MS) is LockUnavailableError at once, not
   * after every retry has timed out in turn. A try cut short by the caller's deadline before Redis
   * had its own command budget to answer says nothing about Redis: that caller waited too long
   * (LockBusyError), as callers do whose wait ran out in line behind a slow batch.
   */
  private async acquire(resource: string, options: LockOptions): Promise<Lock> {
    const deadline = Date.now() + options.waitMs;
    let contended = false;
    for (;;) {
      // redlock would retry against a Redis that is simply gone: answer at once instead.
      if (this.redis.status !== 'ready') throw new LockUnavailableError(`lock service unreachable (redis ${this.redis.status})`);
      const triedAt = Date.now();
      const attempt = this.redlock.acquire([resource], options.ttlMs, { retryCount: 0 });
      let outcome: { lock: Lock } | { error: unknown } | 'timeout';
      let timer: NodeJS.Timeout | undefined;
      try {
        outcome = await Promise.race([
          attempt.then(
            (lock) => ({ lock }),
            (error: unknown) => ({ error }),
          ),
          new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(deadline - Date.now(), 1)))),
        ]);
      } finally {
        clearTimeout(timer);
      }
      if (outcome === 'timeout') {
        // A lease granted after we gave up is released (or expires with its TTL).
        void attempt.then((lock) => lock.release()).catch(() => undefined);
        // Redis answered "held" before, or had less than its command budget: the wait ran out.
        // It had the whole budget and never answered: unavailable.
        if (contended || Date.now() - triedAt < this.config.redis.commandTimeoutMs)
          throw new LockBusyError(`lock ${resource} was not free in time`);
        throw new LockUnavailableError(`lock service did not answer within ${options.waitMs} ms`);
      }
      if ('lock' in outcome) return outcome.lock;
      if (!(await isOnlyContention(outcome.error))) {
        throw new LockUnavailableError(`lock service unreachable: ${(outcome.error as Error).message}`);
      }
      const delay = RETRY_DELAY_MS + Math.random() * RETRY_DELAY_MS;
      if (Date.now() + delay >= deadline) throw new LockBusyError(`lock ${resource} is held by others`);
      contended = true;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** True when every failed vote was "already locked" (contention), false when Redis itself failed. */
async function isOnlyContention(error: unknown): Promise<boolean> {
  if (!(error instanceof ExecutionError)) return false;
  const stats = await Promise.allSettled(error.attempts);
  return stats.every((s) => s.status === 'fulfilled' && [...s.value.votesAgainst.values()].every((e) => e instanceof ResourceLockedError));
}
