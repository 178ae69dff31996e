import type Redis from 'ioredis';

/**
 * Fast answers kept next to the truth (the database). They only record facts that can never
 * become false here (issued never decreases and stock never grows; a copy is never taken back), so a
 * hint is either right or missing, and a missing or lost hint only costs a trip to the lock/queue.
 */
export abstract class IssueHints {
  abstract isSoldOut(couponId: number): Promise<boolean>;
  abstract holds(couponId: number, userId: number): Promise<boolean>;
  abstract markSoldOut(couponId: number): Promise<void>;
  abstract addHolder(couponId: number, userId: number): Promise<void>;
}

const HINT_TTL_SECONDS = 7 * 24 * 3600;

/** Full profile: Redis. Any Redis error reads as "no hint": the slow path then decides. */
export class RedisIssueHints extends IssueHints {
  constructor(private readonly redis: Redis) {
    super();
  }

  async isSoldOut(couponId: number): Promise<boolean> {
    return (await this.redis.exists(`coupon:${couponId}:soldout`).catch(() => 0)) === 1;
  }

  async holds(couponId: number, userId: number): Promise<boolean> {
    return (await this.redis.sismember(`coupon:${couponId}:holders`, String(userId)).catch(() => 0)) === 1;
  }

  async markSoldOut(couponId: number): Promise<void> {
    await this.redis.set(`coupon:${couponId}:soldout`, '1', 'EX', HINT_TTL_SECONDS).catch(() => undefined);
  }

  async addHolder(couponId: number, userId: number): Promise<void> {
    await this.redis
      .multi()
      .sadd(`coupon:${couponId}:holders`, String(userId))
      .expire(`coupon:${couponId}:holders`, HINT_TTL_SECONDS)
      .exec()
      .catch(() => undefined);
  }
}

/** Embedded profile: process memory. */
export class InMemoryIssueHints extends IssueHints {
  private readonly soldOut = new Set<number>();
  private readonly holders = new Set<string>();

  async isSoldOut(couponId: number): Promise<boolean> {
    return this.soldOut.has(couponId);
  }

  async holds(couponId: number, userId: number): Promise<boolean> {
    return this.holders.has(`${couponId}:${userId}`);
  }

  async markSoldOut(couponId: number): Promise<void> {
    this.soldOut.add(couponId);
  }

  async addHolder(couponId: number, userId: number): Promise<void> {
    this.holders.add(`${couponId}:${userId}`);
  }
}
