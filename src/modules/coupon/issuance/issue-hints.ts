import type Redis from 'ioredis';

/**
 * Fast answers kept next to the truth (the database). They only record facts that can never
 * become false here (issued never decreases and stock never grows; a copy is never taken back), so a
 * hint is either right or missing, and a missing or lost hint only costs a trip to the lock/queue.
 */
export type IssueHint = 'COUPON_ALREADY_ISSUED' | 'COUPON_SOLD_OUT';

export abstract class IssueHints {
  /** What is already known about this caller and coupon, in one round trip; undefined when nothing. */
  abstract lookup(couponId: number, userId: number): Promise<IssueHint | undefined>;
  abstract markSoldOut(couponId: number): Promise<void>;
  abstract addHolders(couponId: number, userIds: number[]): Promise<void>;
}

const HINT_TTL_SECONDS = 7 * 24 * 3600;

/** Full profile: Redis. Any Redis error reads as "no hint": the slow path then decides. */
export class RedisIssueHints extends IssueHints {
  constructor(private readonly redis: Redis) {
    super();
  }

  // Plain commands rather than a pipeline or MULTI: the connection auto-pipelines them, so the
  // lookups and holder writes of many concurrent callers leave in one write.
  async lookup(couponId: number, userId: number): Promise<IssueHint | undefined> {
    const [holder, soldOut] = await Promise.all([
      this.redis.sismember(`coupon:${couponId}:holders`, String(userId)),
      this.redis.exists(`coupon:${couponId}:soldout`),
    ]).catch(() => [0, 0]);
    // A holder hears "already issued" even when the coupon is sold out: it is the more useful answer.
    if (holder === 1) return 'COUPON_ALREADY_ISSUED';
    if (soldOut === 1) return 'COUPON_SOLD_OUT';
    return undefined;
  }

  async markSoldOut(couponId: number): Promise<void> {
    await this.redis.set(`coupon:${couponId}:soldout`, '1', 'EX', HINT_TTL_SECONDS).catch(() => undefined);
  }

  async addHolders(couponId: number, userIds: number[]): Promise<void> {
    if (userIds.length === 0) return;
    const key = `coupon:${couponId}:holders`;
    await Promise.all([this.redis.sadd(key, ...userIds.map(String)), this.redis.expire(key, HINT_TTL_SECONDS)]).catch(() => undefined);
  }
}

/** Embedded profile: process memory. */
export class InMemoryIssueHints extends IssueHints {
  private readonly soldOut = new Set<number>();
  private readonly holders = new Set<string>();

  async lookup(couponId: number, userId: number): Promise<IssueHint | undefined> {
    if (this.holders.has(`${couponId}:${userId}`)) return 'COUPON_ALREADY_ISSUED';
    if (this.soldOut.has(couponId)) return 'COUPON_SOLD_OUT';
    return undefined;
  }

  async markSoldOut(couponId: number): Promise<void> {
    this.soldOut.add(couponId);
  }

  async addHolders(couponId: number, userIds: number[]): Promise<void> {
    for (const userId of userIds) this.holders.add(`${couponId}:${userId}`);
  }
}
