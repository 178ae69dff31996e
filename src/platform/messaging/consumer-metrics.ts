import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { Metrics } from '../observability/metrics';

/** Per consumer group: messages handled, failed attempts, and messages sent to the dead-letter topic. */
@Injectable()
export class ConsumerMetrics {
  readonly processed: Counter<'group'>;
  readonly failed: Counter<'group'>;
  readonly deadLettered: Counter<'group'>;

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.processed = new Counter({ name: 'consumer_messages_processed_total', help: 'Messages handled', labelNames: ['group'], registers });
    this.failed = new Counter({ name: 'consumer_failures_total', help: 'Failed handling attempts', labelNames: ['group'], registers });
    this.deadLettered = new Counter({
      name: 'consumer_dead_lettered_total',
      help: 'Messages sent to the dead-letter topic',
      labelNames: ['group'],
      registers,
    });
  }
}
