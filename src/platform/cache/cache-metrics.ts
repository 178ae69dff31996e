import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Metrics } from '../observability/metrics';
import type { BroadcastOrigin } from '../broadcast/broadcast';

/** What one cache reports, its `cache` label bound. */
export interface CacheRecorder {
  /** `count` reads answered from memory (a list page's products count once, not one increment each). */
  hit(count?: number): void;
  miss(): void;
  invalidated(origin: BroadcastOrigin): void;
  /** Starts timing a load; the returned function ends it. */
  loading(): () => void;
}

/** Every read cache of this instance, by its `cache` label: hits, misses, invalidations, entries, load time. */
@Injectable()
export class CacheMetrics {
  private readonly hits: Counter<'cache'>;
  private readonly misses: Counter<'cache'>;
  private readonly invalidations: Counter<'cache' | 'origin'>;
  private readonly loadSeconds: Histogram<'cache'>;
  private readonly sizes = new Map<string, () => number>();

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.hits = new Counter({ name: 'cache_hits_total', help: 'Reads answered from the cache', labelNames: ['cache'], registers });
    this.misses = new Counter({
      name: 'cache_misses_total',
      help: 'Reads not answered from the cache (they wait for a load, one per key at a time)',
      labelNames: ['cache'],
      registers,
    });
    this.invalidations = new Counter({
      name: 'cache_invalidations_total',
      help: "Entries dropped because what they hold changed: by this instance's own write (local) or another's message (remote)",
      labelNames: ['cache', 'origin'],
      registers,
    });
    this.loadSeconds = new Histogram({
      name: 'cache_load_duration_seconds',
      help: 'Time to load what a miss asked for (one database read)',
      labelNames: ['cache'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    const sizes = this.sizes;
    new Gauge({
      name: 'cache_entries',
      help: 'Entries held now',
      labelNames: ['cache'],
      registers,
      collect(this: Gauge<'cache'>) {
        for (const [cache, size] of sizes) this.set({ cache }, size());
      },
    });
  }

  /** A cache's series exist at 0 from its creation on, so a quiet cache reads 0, not "no data". */
  track(cache: string, size: () => number): CacheRecorder {
    this.sizes.set(cache, size);
    const hits = this.hits.labels({ cache });
    const misses = this.misses.labels({ cache });
    const invalidations = {
      local: this.invalidations.labels({ cache, origin: 'local' }),
      remote: this.invalidations.labels({ cache, origin: 'remote' }),
    };
    const loadSeconds = this.loadSeconds.labels({ cache });
    for (const counter of [hits, misses, invalidations.local, invalidations.remote]) counter.inc(0);
    this.loadSeconds.zero({ cache });
    return {
      hit: (count = 1) => hits.inc(count),
      miss: () => misses.inc(),
      invalidated: (origin) => invalidations[origin].inc(),
      loading: () => loadSeconds.startTimer(),
    };
  }
}
