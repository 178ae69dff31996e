import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../../../platform/config/app-config';
import { InjectAppConfig } from '../../../platform/config/config.module';
import { InjectRedis } from '../../../platform/redis/redis.module';
import { SalesTotal, SoldLine, TOP_SELLERS_RETENTION_SECONDS, TopSellersStore } from './top-sellers.store';

// KEYS: inbox, order state, qty zset of the day, revenue zset of the day. ARGV: ttl, day, then (product, qty, revenue)...
const RECORD_COMPLETED = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
if redis.call('GET', KEYS[2]) == 'cancelled' then return 1 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[1])
for i = 3, #ARGV, 3 do
  redis.call('ZINCRBY', KEYS[3], ARGV[i + 1], ARGV[i])
  redis.call('ZINCRBY', KEYS[4], ARGV[i + 2], ARGV[i])
end
redis.call('EXPIRE', KEYS[3], ARGV[1])
redis.call('EXPIRE', KEYS[4], ARGV[1])
return 1`;

// KEYS: inbox, order state. ARGV: ttl, qty key prefix, revenue key prefix, then (product, qty, revenue)...
const RECORD_CANCELLED = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local day = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[2], 'cancelled', 'EX', ARGV[1])
if (not day) or day == 'cancelled' then return 1 end
for i = 4, #ARGV, 3 do
  redis.call('ZINCRBY', ARGV[2] .. day, -tonumber(ARGV[i + 1]), ARGV[i])
  redis.call('ZINCRBY', ARGV[3] .. day, -tonumber(ARGV[i + 2]), ARGV[i])
end
return 1`;

type TopSellersRedis = Redis & {
  recordSaleCompleted(...keysThenArgs: Array<string | number>): Promise<number>;
  recordSaleCancelled(...keysThenArgs: Array<string | number>): Promise<number>;
};

/**
 * Full profile: per-day sorted sets of quantity and revenue; dedupe and update in one Lua script.
 * The scripts are defined commands (EVALSHA once loaded, not the script text with every event), and
 * the connection auto-pipelines them, so the events of a batch recorded without awaiting each other
 * leave in one write and are applied in the order they were recorded.
 */
@Injectable()
export class RedisTopSellersStore extends TopSellersStore {
  private readonly redis: TopSellersRedis;
  private readonly prefix: string;

  constructor(@InjectRedis() redis: Redis, @InjectAppConfig() config: AppConfig) {
    super();
    redis.defineCommand('recordSaleCompleted', { numberOfKeys: 4, lua: RECORD_COMPLETED });
    redis.defineCommand('recordSaleCancelled', { numberOfKeys: 2, lua: RECORD_CANCELLED });
    this.redis = redis as TopSellersRedis;
    // Keys built inside Lua do not get ioredis' keyPrefix, so the script is given it.
    this.prefix = config.redis.keyPrefix;
  }

  async recordCompleted(eventId: string, orderId: number, day: string, lines: SoldLine[]): Promise<boolean> {
    const applied = await this.redis.recordSaleCompleted(
      `top:inbox:${eventId}`,
      `top:order:${orderId}`,
      `top:qty:${day}`,
      `top:rev:${day}`,
      TOP_SELLERS_RETENTION_SECONDS,
      day,
      ...flatten(lines),
    );
    return applied === 1;
  }

  async recordCancelled(eventId: string, orderId: number, lines: SoldLine[]): Promise<boolean> {
    const applied = await this.redis.recordSaleCancelled(
      `top:inbox:${eventId}`,
      `top:order:${orderId}`,
      TOP_SELLERS_RETENTION_SECONDS,
      `${this.prefix}top:qty:`,
      `${this.prefix}top:rev:`,
      ...flatten(lines),
    );
    return applied === 1;
  }

  async totals(days: string[]): Promise<SalesTotal[]> {
    const pipeline = this.redis.pipeline();
    for (const day of days) {
      pipeline.zrange(`top:qty:${day}`, 0, -1, 'WITHSCORES');
      pipeline.zrange(`top:rev:${day}`, 0, -1, 'WITHSCORES');
    }
    const results = (await pipeline.exec()) ?? [];
    const totals = new Map<number, SalesTotal>();
    results.forEach(([error, flat], index) => {
      if (error) throw error;
      const field = index % 2 === 0 ? 'quantity' : 'revenue';
      const entries = flat as string[];
      for (let i = 0; i < entries.length; i += 2) {
        const productId = Number(entries[i]);
        const total = totals.get(productId) ?? { productId, quantity: 0, revenue: 0 };
        total[field] += Number(entries[i + 1]);
        totals.set(productId, total);
      }
    });
    return [...totals.values()];
  }
}

function flatten(lines: SoldLine[]): Array<string | number> {
  return lines.flatMap((line) => [line.productId, line.quantity, line.quantity * line.unitPrice]);
}
