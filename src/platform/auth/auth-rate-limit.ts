import { applyDecorators, ExecutionContext, Injectable, Logger, SetMetadata, UseGuards } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail, ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type Redis from 'ioredis';
import { API_RATE_LIMITED } from '../http/api-contract';
import { DomainError } from '../http/problem-catalog';

/**
 * Where attempt counts live: Redis in the full profile (so the limit holds across instances),
 * process memory in the embedded one. InfrastructureModule picks it with the other adapters.
 */
export abstract class RateLimitStorage implements ThrottlerStorage {
  abstract increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord>;
}

export class InMemoryRateLimitStorage extends RateLimitStorage {
  private readonly memory = new ThrottlerStorageService();

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    return this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
  }
}

/**
 * Redis counts; while Redis is away the instance counts in memory instead, so logins keep working
 * (they need no Redis otherwise) and each instance still enforces the limit on its own.
 */
export class RedisRateLimitStorage extends RateLimitStorage {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: ThrottlerStorageRedisService;
  private readonly fallback = new InMemoryRateLimitStorage();

  constructor(client: Redis) {
    super();
    this.redis = new ThrottlerStorageRedisService(client);
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    try {
      return await this.redis.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (error) {
      this.logger.warn(`rate limit counted in memory, Redis failed: ${(error as Error).message}`);
      return this.fallback.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }
}

/** The submitted email, lower-cased, so `A@x.com` and `a@x.com` share one budget. */
export function emailTracker(request: { body?: unknown; ip: string }): string {
  const email = (request.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' && email.length <= 320 ? `email:${email.trim().toLowerCase()}` : `ip:${request.ip}`;
}

/** Over the limit: 429 problem+json RATE_LIMITED with Retry-After in seconds. */
@Injectable()
export class AuthRateLimitGuard extends ThrottlerGuard {
  // One budget for login and signup together: the default key would give each handler its own.
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `auth-attempts:${throttlerName}:${tracker}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    throw new DomainError('RATE_LIMITED', `Too many attempts; retry in ${retryAfter} s`, {
      headers: { 'Retry-After': String(retryAfter) },
    });
  }
}

/** Per-IP and per-email attempt limits (AUTH_RATE_LIMIT_*), for the login and signup handlers. */
export const AuthRateLimited = (): MethodDecorator => applyDecorators(UseGuards(AuthRateLimitGuard), SetMetadata(API_RATE_LIMITED, true));
