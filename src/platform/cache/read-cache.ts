import { LRUCache } from 'lru-cache';
import type { BroadcastOrigin } from '../broadcast/broadcast';
import type { CacheRecorder } from './cache-metrics';

export interface ReadCacheOptions<V> {
  /** The bound: entries, or with `sizeOf` the sum of their sizes. 0 keeps nothing. */
  max: number;
  /** An entry is not served once this old, even if no invalidation came (one was lost). 0 keeps nothing. */
  ttlMs: number;
  /** The size of an entry (at least 1), when entries differ in size (a page of a list counts its items). */
  sizeOf?: (value: V) => number;
}

/**
 * A bounded in-process read-through cache: least recently used entries go first (lru-cache), and
 * concurrent misses of one key share one load. An entry is dropped by `invalidate` or `clear`
 * when what it holds changes. A load under way when its key is invalidated still answers the
 * reads that were waiting for it (they began before the change was known here), but its value is
 * not kept: it may have been read before the change committed. (lru-cache's own `fetch` would
 * reject those waiting reads instead.) Loads that find nothing (undefined) are not kept.
 */
export class ReadCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> {
  private readonly entries?: LRUCache<K, V>;
  /** The load under way per key; a key invalidated meanwhile is no longer here, so its value is not kept. */
  private readonly loading = new Map<K, Promise<V | undefined>>();

  constructor(
    options: ReadCacheOptions<V>,
    private readonly recorder: CacheRecorder,
  ) {
    if (options.max <= 0 || options.ttlMs <= 0) return;
    const { sizeOf } = options;
    // With sizes the count is unbounded and arrays grow as needed; without, lru-cache preallocates `max` slots.
    this.entries = sizeOf
      ? new LRUCache<K, V>({ maxSize: options.max, sizeCalculation: (value) => Math.max(1, sizeOf(value)), ttl: options.ttlMs })
      : new LRUCache<K, V>({ max: options.max, ttl: options.ttlMs });
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  async get(key: K, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const cached = this.entries?.get(key);
    if (cached !== undefined) {
      this.recorder.hit();
      return cached;
    }
    this.recorder.miss();
    return this.loading.get(key) ?? this.load([key], async () => new Map(toEntry(key, await load()))).get(key)!;
  }

  /** The values of `keys` that exist; the misses that no load is under way for are loaded by one call of `loadMany`. */
  async getMany(keys: K[], loadMany: (keys: K[]) => Promise<Map<K, V>>): Promise<Map<K, V>> {
    const found = new Map<K, V>();
    const waiting: Array<[K, Promise<V | undefined>]> = [];
    const missing: K[] = [];
    let hits = 0;
    for (const key of keys) {
      const cached = this.entries?.get(key);
      if (cached !== undefined) {
        hits++;
        found.set(key, cached);
        continue;
      }
      this.recorder.miss();
      const flight = this.loading.get(key);
      if (flight) waiting.push([key, flight]);
      else missing.push(key);
    }
    // One increment for all of them: a warm page of 20 would otherwise make 20.
    if (hits) this.recorder.hit(hits);
    // Every key a hit (a warm list page): no promise per key.
    if (!waiting.length && !missing.length) return found;
    if (missing.length) waiting.push(...this.load(missing, () => loadMany(missing)));
    // All at once: a failed load rejects several of these, and each needs a handler.
    const values = await Promise.all(waiting.map(([, value]) => value));
    waiting.forEach(([key], index) => {
      if (values[index] !== undefined) found.set(key, values[index]);
    });
    return found;
  }

  invalidate(key: K, origin: BroadcastOrigin): void {
    this.entries?.delete(key);
    this.loading.delete(key);
    this.recorder.invalidated(origin);
  }

  clear(origin: BroadcastOrigin): void {
    // Cheap when empty: lru-cache's clear walks its arrays even then, and a list's pages are cleared on every product change.
    if (this.entries?.size) this.entries.clear();
    this.loading.clear();
    this.recorder.invalidated(origin);
  }

  /** One load for `keys`, registered as each key's flight until it settles. */
  private load(keys: K[], loadAll: () => Promise<Map<K, V>>): Map<K, Promise<V | undefined>> {
    const done = this.recorder.loading();
    const loaded = loadAll().finally(done);
    const flights = new Map<K, Promise<V | undefined>>();
    for (const key of keys) {
      const settle = (): boolean => {
        const current = this.loading.get(key) === flight;
        if (current) this.loading.delete(key);
        return current;
      };
      const flight: Promise<V | undefined> = loaded.then(
        (values) => {
          const value = values.get(key);
          if (settle() && value !== undefined) this.entries?.set(key, value);
          return value;
        },
        (error: unknown) => {
          settle();
          throw error;
        },
      );
      this.loading.set(key, flight);
      flights.set(key, flight);
    }
    return flights;
  }
}

function toEntry<K, V>(key: K, value: V | undefined): Array<[K, V]> {
  return value === undefined ? [] : [[key, value]];
}
