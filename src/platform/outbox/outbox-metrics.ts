import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { Metrics } from '../observability/metrics';
import { OutboxRepository } from './outbox.repository';

@Injectable()
export class OutboxMetrics {
  readonly published: Counter;
  readonly failed: Counter;
  readonly dead: Counter;

  constructor(metrics: Metrics, outbox: OutboxRepository) {
    const registers = [metrics.registry];
    this.published = new Counter({ name: 'outbox_published_total', help: 'Outbox events published to the bus', registers });
    this.failed = new Counter({ name: 'outbox_publish_failures_total', help: 'Failed publish attempts of outbox events', registers });
    this.dead = new Counter({ name: 'outbox_dead_total', help: 'Outbox events given up on (status DEAD)', registers });
    // Read at scrape time, so the numbers are the database's, shared by every instance.
    new Gauge({
      name: 'outbox_backlog',
      help: 'Outbox events waiting to be published',
      registers,
      async collect() {
        this.set(await outbox.countPending());
      },
    });
    new Gauge({
      name: 'outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest outbox event waiting to be published',
      registers,
      async collect() {
        const oldest = await outbox.oldestPendingAt();
        this.set(oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0);
      },
    });
  }
}
