import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Counter, Gauge } from 'prom-client';
import { Metrics } from '../observability/metrics';
import { OutboxEvent } from './outbox-event.entity';

@Injectable()
export class OutboxMetrics {
  readonly published: Counter;
  readonly failed: Counter;
  readonly dead: Counter;

  constructor(metrics: Metrics, txHost: TransactionHost<TransactionalAdapterTypeOrm>) {
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
        this.set(await txHost.tx.getRepository(OutboxEvent).countBy({ status: 'PENDING' }));
      },
    });
    new Gauge({
      name: 'outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest outbox event waiting to be published',
      registers,
      async collect() {
        const oldest = await txHost.tx.getRepository(OutboxEvent).findOne({ where: { status: 'PENDING' }, order: { id: 'ASC' } });
        this.set(oldest ? Math.max(0, (Date.now() - oldest.occurredAt.getTime()) / 1000) : 0);
      },
    });
  }
}
