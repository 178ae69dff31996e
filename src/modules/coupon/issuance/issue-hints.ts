import { Logger } from '@nestjs/common';
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

// Adds holders and counts, in the same step, how many (coupon, user) pairs Redis learnt of.
const ADD_HOLDERS = `
local added = redis.call('SADD', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
if added > 0 then redis.call('INCRBY', KEYS[2], added) end
return added`;

type HintRedis = Redis & { addHolders(holders: string, copies: string, ttl: number, ...userIds: string[]): Promise<number> };

/**
 * Full profile: Redis. Any Redis error reads as "no hint": the slow path then decides.
 *
 * Keys live under this database's identity (`coupon-hints:<database id>:...`), so a Redis that
 * outlives its database (a reset, two databases on one Redis) never answers for coupons or users of
 * another one. A restored backup keeps its identity but has fewer copies than Redis counted: the
 * first lookup of a process finds that and drops the hints ({@link check}).
 */
export class RedisIssueHints extends IssueHints {
  private readonly logger = new Logger('IssueHints');
  private readonly redis: HintRedis;
  private readonly prefix: string;

  /** Set once Redis was checked against the database ({@link forgetIfAhead}); until then no hint is trusted. */
  private checked = false;
  private checking?: Promise<void>;

  constructor(
    redis: Redis,
    databaseId: string,
    private readonly copiesInDatabase: () => Promise<number>,
  ) {
    super();
    redis.defineCommand('addHolders', { numberOfKeys: 2, lua: ADD_HOLDERS });
    this.redis = redis as HintRedis;
    this.prefix = `coupon-hints:${databaseId}:`;
  }

  // Plain commands rather than a pipeline or MULTI: the connection auto-pipelines them, so the
  // lookups and holder writes of many concurrent callers leave in one write.
  async lookup(couponId: number, userId: number): Promise<IssueHint | undefined> {
    if (!this.checked) {
      // Once per process (retried while Redis or the database is away): concurrent callers share it.
      this.checking ??= this.check().finally(() => (this.checking = undefined));
      await this.checking;
      if (!this.checked) return undefined;
    }
    const [holder, soldOut] = await Promise.all([
      this.redis.sismember(this.holdersKey(couponId), String(userId)),
      this.redis.exists(`${this.prefix}${couponId}:soldout`),
    ]).catch(() => [0, 0]);
    // A holder hears "already issued" even when the coupon is sold out: it is the more useful answer.
    if (holder === 1) return 'COUPON_ALREADY_ISSUED';
    if (soldOut === 1) return 'COUPON_SOLD_OUT';
    return undefined;
  }

  async markSoldOut(couponId: number): Promise<void> {
    await this.redis.set(`${this.prefix}${couponId}:soldout`, '1', 'EX', HINT_TTL_SECONDS).catch(() => undefined);
  }

  async addHolders(couponId: number, userIds: number[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.redis
      .addHolders(this.holdersKey(couponId), this.copiesKey(), HINT_TTL_SECONDS, ...userIds.map(String))
      .catch(() => undefined);
  }

  /**
   * Drops every hint of this database when Redis has counted more copies than the database holds:
   * the database went back in time (a restored backup), so holders and sold-out marks may be false.
   */
  private async check(): Promise<void> {
    try {
      const [counted, copies] = await Promise.all([this.redis.get(this.copiesKey()).then(Number), this.copiesInDatabase()]);
      if (counted > copies) {
        const dropped = await this.dropAll();
        this.logger.warn(
          `Redis counted ${counted} issued copies, the database holds ${copies}: dropped ${dropped} hint keys from another history`,
        );
      }
      this.checked = true;
    } catch (error) {
      this.logger.warn(`issue hints unused until Redis can be checked against the database: ${(error as Error).message}`);
    }
  }

  private async dropAll(): Promise<number> {
    const keyPrefix = this.redis.options.keyPrefix ?? '';
    let cursor = '0';
    let dropped = 0;
    do {
      // SCAN matches full key names; DEL takes them without the client's key prefix.
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${keyPrefix}${this.prefix}*`, 'COUNT', 500);
      if (keys.length > 0) dropped += await this.redis.del(...keys.map((key) => key.slice(keyPrefix.length)));
      cursor = next;
    } while (cursor !== '0');
    return dropped;
  }

  private holdersKey(couponId: number): string {
    return `${this.prefix}${couponId}:holders`;
  }

  private copiesKey(): string {
    return `${this.prefix}copies`;
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
