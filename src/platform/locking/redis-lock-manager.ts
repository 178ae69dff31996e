import { Injectable, Logger } from '@nestjs/common';
import { ExecutionError, Lock, Redlock, ResourceLockedError } from '@sesamecare-oss/redlock';
import type Redis from 'ioredis';
import { InjectRedis } from '../redis/redis.module';
import { LockBusyError, LockManager, LockOptions, LockUnavailableError } from './lock-manager';

const RETRY_DELAY_MS = 25;

/**
 * Full-profile adapter: a redlock lease on the shared Redis connection. Waiting is bounded by
 * `waitMs`; a release that fails is only logged, since the lease expires by itself.
 */
@Injectable()
export class RedisLockManager extends LockManager {
  private readonly logger = new Logger('RedisLockManager');
  private readonly redlock: Redlock;

  constructor(@InjectRedis() private readonly redis: Redis) {
    super();
    this.redlock = new Redlock([redis], { retryDelay: RETRY_DELAY_MS, retryJitter: RETRY_DELAY_MS, retryCount: 0 });
  }

  async withLock<T>(key: string, options: LockOptions, work: () => Promise<T>): Promise<T> {
    const lock = await this.acquire(`lock:${key}`, options);
    try {
      return await work();
    } finally {
      await lock.release().catch((error: Error) => this.logger.warn(`release of ${key} failed: ${error.message}`));
    }
  }

  private async acquire(resource: string, options: LockOptions): Promise<Lock> {
    // redlock retries every failed attempt, also when Redis is simply gone: answer at once instead.
    if (this.redis.status !== 'ready') throw new LockUnavailableError(`lock service unreachable (redis ${this.redis.status})`);
    const retryCount = Math.max(0, Math.ceil(options.waitMs / (RETRY_DELAY_MS * 1.5)));
    try {
      return await this.redlock.acquire([resource], options.ttlMs, { retryCount });
    } catch (error) {
      if (await isOnlyContention(error)) throw new LockBusyError(`lock ${resource} is held by others`);
      throw new LockUnavailableError(`lock service unreachable: ${(error as Error).message}`);
    }
  }
}

/** True when every failed vote was "already locked" (contention), false when Redis itself failed. */
async function isOnlyContention(error: unknown): Promise<boolean> {
  if (!(error instanceof ExecutionError)) return false;
  const stats = await Promise.allSettled(error.attempts);
  return stats.every((s) => s.status === 'fulfilled' && [...s.value.votesAgainst.values()].every((e) => e instanceof ResourceLockedError));
}
