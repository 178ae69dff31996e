import { Metrics } from '../observability/metrics';
import { CacheMetrics } from './cache-metrics';
import { ReadCache } from './read-cache';

/** A load the test finishes by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function counts(metrics: Metrics, name: string): Promise<Record<string, number>> {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  return Object.fromEntries(metric.values.map((v) => [Object.values(v.labels).join(','), v.value]));
}

describe('ReadCache', () => {
  let metrics: Metrics;
  let cacheMetrics: CacheMetrics;
  const cache = (options = { max: 100, ttlMs: 60_000 }) => {
    const created: ReadCache<number, string> = new ReadCache(
      options,
      cacheMetrics.track('test', () => created.size),
    );
    return created;
  };

  beforeEach(() => {
    metrics = new Metrics();
    cacheMetrics = new CacheMetrics(metrics);
  });

  it('answers a thousand concurrent misses of one key with one load, then from memory', async () => {
    const reads = cache();
    const load = jest.fn(() => Promise.resolve('value'));
    expect(await Promise.all(Array.from({ length: 1000 }, () => reads.get(1, load)))).toEqual(Array(1000).fill('value'));
    expect(await reads.get(1, load)).toBe('value');
    expect(load).toHaveBeenCalledTimes(1);
    expect(await counts(metrics, 'cache_hits_total')).toEqual({ test: 1 });
    expect(await counts(metrics, 'cache_misses_total')).toEqual({ test: 1000 });
  });

  it('does not keep a value whose load was under way when the key was invalidated, yet answers the reads that waited for it', async () => {
    const reads = cache();
    const before = deferred<string>();
    const waiting = reads.get(1, () => before.promise);
    reads.invalidate(1, 'remote');
    // A read after the invalidation does not join the older load.
    const after = reads.get(1, () => Promise.resolve('new'));
    before.resolve('old');
    expect(await waiting).toBe('old');
    expect(await after).toBe('new');
    expect(await reads.get(1, () => Promise.resolve('never loaded'))).toBe('new');
    expect(await counts(metrics, 'cache_invalidations_total')).toEqual({ 'test,local': 0, 'test,remote': 1 });
  });

  it('clear drops every entry and every load under way', async () => {
    const reads = cache();
    await reads.get(1, () => Promise.resolve('one'));
    const pending = deferred<string>();
    const loading = reads.get(2, () => pending.promise);
    reads.clear('local');
    pending.resolve('two, read before the change');
    await loading;
    expect(reads.size).toBe(0);
    expect(await reads.get(2, () => Promise.resolve('two'))).toBe('two');
  });

  it('keeps at most `max` entries, dropping the least recently used, and a size per entry when given', async () => {
    const reads = cache({ max: 2, ttlMs: 60_000 });
    for (const key of [1, 2, 3]) await reads.get(key, () => Promise.resolve(`v${key}`));
    expect(reads.size).toBe(2);
    const load = jest.fn(() => Promise.resolve('reloaded'));
    expect(await reads.get(1, load)).toBe('reloaded');

    const sized: ReadCache<string, string[]> = new ReadCache(
      { max: 5, ttlMs: 60_000, sizeOf: (items) => items.length },
      cacheMetrics.track('sized', () => sized.size),
    );
    await sized.get('a', () => Promise.resolve(['x', 'x', 'x']));
    await sized.get('b', () => Promise.resolve(['x', 'x', 'x']));
    expect(sized.size).toBe(1);
  });

  it('serves nothing older than the TTL', async () => {
    const reads = cache({ max: 10, ttlMs: 50 });
    await reads.get(1, () => Promise.resolve('first'));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await reads.get(1, () => Promise.resolve('second'))).toBe('second');
  });

  it('keeps nothing with max or TTL 0, still sharing concurrent loads', async () => {
    for (const options of [
      { max: 0, ttlMs: 5000 },
      { max: 100, ttlMs: 0 },
    ]) {
      const reads = cache(options);
      const load = jest.fn(() => Promise.resolve('value'));
      await Promise.all([reads.get(1, load), reads.get(1, load)]);
      await reads.get(1, load);
      expect(load).toHaveBeenCalledTimes(2);
      expect(reads.size).toBe(0);
    }
  });

  it('getMany loads the misses in one call, joins loads under way, and omits what does not exist', async () => {
    const reads = cache();
    await reads.get(1, () => Promise.resolve('one'));
    const two = deferred<string>();
    const joined = reads.get(2, () => two.promise);
    const loadMany = jest.fn((keys: number[]) => Promise.resolve(new Map(keys.filter((k) => k !== 4).map((k) => [k, `v${k}`]))));
    const many = reads.getMany([1, 2, 3, 4], loadMany);
    two.resolve('two');
    await joined;
    expect(await many).toEqual(
      new Map([
        [1, 'one'],
        [2, 'two'],
        [3, 'v3'],
      ]),
    );
    expect(loadMany).toHaveBeenCalledWith([3, 4]);
    expect(await reads.get(3, () => Promise.resolve('not loaded again'))).toBe('v3');
  });

  it('a failed load fails every read waiting for it and is not kept', async () => {
    const reads = cache();
    const failing = () => Promise.reject(new Error('database away'));
    await expect(Promise.all([reads.get(1, failing), reads.get(1, failing)])).rejects.toThrow('database away');
    await expect(reads.getMany([2, 3], failing)).rejects.toThrow('database away');
    expect(await reads.get(1, () => Promise.resolve('back'))).toBe('back');
  });

  it('reports every cache at 0 before its first read', async () => {
    cache();
    expect(await counts(metrics, 'cache_hits_total')).toEqual({ test: 0 });
    expect(await counts(metrics, 'cache_entries')).toEqual({ test: 0 });
    expect(
      (await metrics.registry.getSingleMetricAsString('cache_load_duration_seconds')).includes(
        'cache_load_duration_seconds_count{cache="test"} 0',
      ),
    ).toBe(true);
  });
});
