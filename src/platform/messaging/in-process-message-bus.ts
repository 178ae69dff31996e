import { Injectable, Logger } from '@nestjs/common';
import { ConsumerMetrics } from './consumer-metrics';
import { handleTraced, publishTraced } from './message-tracing';
import { IncomingMessage, MalformedMessageError, MessageBus, OutgoingMessage, Subscription, SubscriptionHandle } from './message-bus';

const RETRIES = 5;

/**
 * Embedded adapter of the messaging port: one process, no broker. Each subscription receives
 * every message of its topics in publish order, asynchronously, like a single-partition topic.
 * Nothing survives a restart, which is what "embedded" means; the outbox table is the durable part.
 * Messages carry the trace context in their headers as on Kafka (message-tracing.ts).
 */
@Injectable()
export class InProcessMessageBus extends MessageBus {
  private readonly logger = new Logger('InProcessMessageBus');
  private readonly subscriptions = new Set<{ subscription: Subscription; queue: Promise<void> }>();
  private offset = 0;

  constructor(private readonly metrics: ConsumerMetrics) {
    super();
  }

  publish(messages: OutgoingMessage[]): Promise<void> {
    return publishTraced(messages, async (traced) => this.enqueue(traced));
  }

  private enqueue(messages: OutgoingMessage[]): void {
    for (const message of messages) {
      const incoming: IncomingMessage = {
        topic: message.topic,
        partition: 0,
        offset: String(this.offset++),
        key: message.key,
        // A copy, so a consumer never shares an object with the producer.
        value: structuredClone(message.value),
        headers: { ...(message.headers ?? {}) },
      };
      for (const entry of this.subscriptions) {
        if (!entry.subscription.topics.includes(message.topic)) continue;
        entry.queue = entry.queue.then(() => this.deliver(entry.subscription, incoming));
      }
    }
  }

  async ensureTopics(): Promise<void> {
    // Topics need no declaration in process.
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    const entry = { subscription, queue: Promise.resolve() };
    this.subscriptions.add(entry);
    this.metrics.track(subscription.groupId);
    return {
      stop: async () => {
        this.subscriptions.delete(entry);
        await entry.queue;
      },
    };
  }

  private async deliver(subscription: Subscription, message: IncomingMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await handleTraced(subscription.groupId, [message], () => subscription.handleBatch([message]));
        this.metrics.processed.inc({ group: subscription.groupId });
        return;
      } catch (error) {
        this.metrics.failed.inc({ group: subscription.groupId });
        if (attempt >= RETRIES || error instanceof MalformedMessageError) {
          // No dead-letter topic in process: the log line is the record.
          this.metrics.deadLettered.inc({ group: subscription.groupId });
          this.logger.error(
            { err: error, topic: message.topic, key: message.key },
            `${subscription.groupId}: message dropped after ${attempt} attempt(s)`,
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
  }
}
