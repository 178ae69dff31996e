import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Metrics } from '../observability/metrics';
import { DependencyProbes } from './dependency-probes';

/**
 * `app_dependency_up{dependency}`: the readiness probes of GET /health/ready, run at scrape time,
 * so Prometheus sees readiness without a blackbox exporter. The instance is ready when all are 1.
 */
@Injectable()
export class ReadinessMetrics {
  constructor(metrics: Metrics, probes: DependencyProbes) {
    new Gauge({
      name: 'app_dependency_up',
      help: 'Readiness probe of each dependency of the profile (1 up, 0 down), as GET /health/ready runs them',
      labelNames: ['dependency'],
      registers: [metrics.registry],
      async collect() {
        const results = await Promise.all(probes.all().map((probe) => probe()));
        for (const result of results) {
          for (const [dependency, state] of Object.entries(result)) this.set({ dependency }, state.status === 'up' ? 1 : 0);
        }
      },
    });
  }
}
