import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';

/** A key's count in its window, and how long until that window ends and the count starts over. */
export interface WindowCount {
  count: number;
  msLeft: number;
}

/**
 * Counts events per key in fixed windows of one length, each starting at its key's first event.
 * Redis in the full profile (every instance shares the counts), process memory in the embedded one.
 */
export abstract class AttemptCounter {
  /** Adds one to each key (atomically) and returns the new counts, in the order of `keys`. */
  abstract add(keys: string[]): Promise<WindowCount[]>;
  /** The counts as they are, without adding: 0 for a key with no window running. */
  abstract read(keys: string[]): Promise<WindowCount[]>;
}

/** In-process counts; expired windows are dropped as new ones start, so memory follows the traffic of one window. */
export class MemoryAttemptCounter extends AttemptCounter {
  // Every window has the same length, so insertion order is the order windows end in.
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  add(keys: string[]): Promise<WindowCount[]> {
    const now = this.now();
    this.dropEnded(now);
    return Promise.resolve(
      keys.map((key) => {
        let window = this.windows.get(key);
        if (!window) {
          window = { count: 0, endsAt: now + this.windowMs };
          this.windows.set(key, window);
        }
        window.count += 1;
        return { count: window.count, msLeft: window.endsAt - now };
      }),
    );
  }

  read(keys: string[]): Promise<WindowCount[]> {
    const now = this.now();
    return Promise.resolve(
      keys.map((key) => {
        const window = this.windows.get(key);
        return window && window.endsAt > now ? { count: window.count, msLeft: window.endsAt - now } : { count: 0, msLeft: 0 };
      }),
    );
  }

  private dropEnded(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.endsAt > now) return;
      this.windows.delete(key);
    }
  }
}

// INCR and the window's expiry in one step: a key never exists without its expiry, and two instances
// counting at once both count. PTTL < 0: the key was just created (or, defensively, lost its expiry).
const ADD = `
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local left = redis.call('PTTL', key)
  if left < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
    left = tonumber(ARGV[1])
  end
  out[2 * i - 1] = count
  out[2 * i] = left
end
return out`;

const READ = `
local out = {}
for i, key in ipairs(KEYS) do
  out[2 * i - 1] = tonumber(redis.call('GET', key) or '0')
  out[2 * i] = redis.call('PTTL', key)
end
return out`;

type CounterRedis = Redis & {
  authAttemptsAdd(keyCount: number, ...keysThenWindowMs: Array<string | number>): Promise<number[]>;
  authAttemptsRead(keyCount: number, ...keys: string[]): Promise<number[]>;
};

/**
 * Counts in Redis, each call one script (under the client's key prefix), so the limit holds across
 * instances. While Redis fails, this instance counts in its own memory instead: logins need no
 * Redis otherwise, and each instance still enforces the budgets on its own.
 */
export class RedisAttemptCounter extends AttemptCounter {
  private readonly logger = new Logger('AuthAttemptLimiter');
  private readonly redis: CounterRedis;
  private readonly fallback: MemoryAttemptCounter;

  constructor(
    redis: Redis,
    private readonly windowMs: number,
  ) {
    super();
    redis.defineCommand('authAttemptsAdd', { lua: ADD });
    redis.defineCommand('authAttemptsRead', { lua: READ });
    this.redis = redis as CounterRedis;
    this.fallback = new MemoryAttemptCounter(windowMs);
  }

  async add(keys: string[]): Promise<WindowCount[]> {
    try {
      return pairs(await this.redis.authAttemptsAdd(keys.length, ...keys, this.windowMs));
    } catch (error) {
      this.logger.warn(`auth attempts counted in memory, Redis failed: ${(error as Error).message}`);
      return this.fallback.add(keys);
    }
  }

  async read(keys: string[]): Promise<WindowCount[]> {
    try {
      return pairs(await this.redis.authAttemptsRead(keys.length, ...keys));
    } catch (error) {
      this.logger.warn(`auth attempts read from memory, Redis failed: ${(error as Error).message}`);
      return this.fallback.read(keys);
    }
  }
}

function pairs(flat: number[]): WindowCount[] {
  const counts: WindowCount[] = [];
  for (let i = 0; i < flat.length; i += 2) counts.push({ count: flat[i], msLeft: Math.max(0, flat[i + 1]) });
  return counts;
}
