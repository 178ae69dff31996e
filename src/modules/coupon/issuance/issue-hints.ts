import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { IssueRefusal } from './batch-decision';

/**
 * Fast answers kept next to the truth (the database). They only record facts that can never
 * become false here (issued never decreases and stock never grows; a copy is never taken back), so a
 * hint is either right or missing, and a missing or lost hint only costs a trip to the lock/queue.
 */

export abstract class IssueHints {
  /** What is already known about this caller and coupon, in one round trip; undefined when nothing. */
  abstract lookup(couponId: number, userId: number): Promise<IssueRefusal | undefined>;
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

// What the caller may already be told, in one command: 1 a holder (the more useful answer, even
// when the coupon is also sold out), 2 sold out, 0 nothing. One script, not two plain commands, so
// every sold-out answer pays ioredis' per-command work once.
const LOOKUP = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
return 0`;

type HintRedis = Redis & {
  addHolders(holders: string, copies: string, ttl: number, ...userIds: string[]): Promise<number>;
  lookupHint(holders: string, soldOut: string, userId: string): Promise<number>;
};

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

  /** Set once Redis was checked against the database ({@link check}); until then no hint is trusted. */
  private checked = false;
  private checking?: Promise<void>;

  constructor(
    redis: Redis,
    databaseId: string,
    private readonly copiesInDatabase: () => Promise<number>,
  ) {
    super();
    redis.defineCommand('addHolders', { numberOfKeys: 2, lua: ADD_HOLDERS });
    redis.defineCommand('lookupHint', { numberOfKeys: 2, lua: LOOKUP });
    this.redis = redis as HintRedis;
    this.prefix = `coupon-hints:${databaseId}:`;
  }

  // Commands rather than a pipeline or MULTI: the connection auto-pipelines them, so the lookups and
  // holder writes of many concurrent callers leave in one write.
  async lookup(couponId: number, userId: number): Promise<IssueRefusal | undefined> {
    if (!this.checked) {
      // Once per process (retried while Redis or the database is away): concurrent callers share it.
      this.checking ??= this.check().finally(() => (this.checking = undefined));
      await this.checking;
      if (!this.checked) return undefined;
    }
    const hint = await this.redis.lookupHint(this.holdersKey(couponId), this.soldOutKey(couponId), String(userId)).catch(() => 0);
    if (hint === 1) return 'COUPON_ALREADY_ISSUED';
    if (hint === 2) return 'COUPON_SOLD_OUT';
    return undefined;
  }

  async markSoldOut(couponId: number): Promise<void> {
    await this.redis.set(this.soldOutKey(couponId), '1', 'EX', HINT_TTL_SECONDS).catch(() => undefined);
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

  private soldOutKey(couponId: number): string {
    return `${this.prefix}${couponId}:soldout`;
  }

  private copiesKey(): string {
    return `${this.prefix}copies`;
  }
}

/** Embedded profile: process memory. */
export class InMemoryIssueHints extends IssueHints {
  private readonly soldOut = new Set<number>();
  private readonly holders = new Set<string>();

  async lookup(couponId: number, userId: number): Promise<IssueRefusal | undefined> {
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
