import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { Metrics } from '../observability/metrics';

/** Per consumer group: messages handled, failed attempts, messages sent to the dead-letter topic, and lag. */
@Injectable()
export class ConsumerMetrics {
  readonly processed: Counter<'group'>;
  readonly failed: Counter<'group'>;
  readonly deadLettered: Counter<'group'>;
  private readonly lag: Gauge<'group'>;
  /** group -> partition -> messages behind the partition's end at the last fetch of this instance. */
  private readonly lagByPartition = new Map<string, Map<number, number>>();

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
    this.lag = new Gauge({
      name: 'consumer_lag_messages',
      help: 'Messages behind the end of the partitions this instance consumes, as of their last fetched batch',
      labelNames: ['group'],
      registers,
    });
  }

  /** A subscription started: its series exist at 0 from now on, so "no dead letters" reads 0, not "no data". */
  track(group: string): void {
    this.processed.inc({ group }, 0);
    this.failed.inc({ group }, 0);
    this.deadLettered.inc({ group }, 0);
    this.lag.set({ group }, 0);
  }

  /** After a batch was handled: `lag` messages of this partition are still behind it. */
  recordLag(group: string, partition: number, lag: number): void {
    const partitions = this.lagByPartition.get(group) ?? new Map<number, number>();
    this.lagByPartition.set(group, partitions);
    partitions.set(partition, Math.max(0, lag));
    let total = 0;
    for (const value of partitions.values()) total += value;
    this.lag.set({ group }, total);
  }
}
