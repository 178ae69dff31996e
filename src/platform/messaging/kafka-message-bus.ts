import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Consumer, IHeaders } from 'kafkajs';
import { KafkaConnection } from '../kafka/kafka-connection';
import { IncomingMessage, MessageBus, OutgoingMessage, Subscription, SubscriptionHandle } from './message-bus';

/** Kafka adapter of the messaging port: the one consumer runner of the app (kafkajs eachBatch). */
@Injectable()
export class KafkaMessageBus extends MessageBus implements OnApplicationShutdown {
  private readonly logger = new Logger('KafkaMessageBus');
  private readonly consumers = new Set<Consumer>();

  constructor(private readonly connection: KafkaConnection) {
    super();
  }

  async publish(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const message of messages) byTopic.set(message.topic, [...(byTopic.get(message.topic) ?? []), message]);
    const producer = await this.connection.getProducer();
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic: this.connection.topic(topic),
        messages: list.map((m) => ({ key: m.key, value: JSON.stringify(m.value), headers: m.headers })),
      })),
    });
  }

  async ensureTopics(topics: Array<{ name: string; partitions?: number }>): Promise<void> {
    await this.connection.ensureTopics(topics.map((t) => ({ name: t.name, numPartitions: t.partitions ?? 6 })));
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    const groupId = this.connection.topic(subscription.groupId);
    // A short fetch wait keeps shutdown fast (disconnect waits out a pending fetch); data still arrives at once.
    const consumer = this.connection.kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxWaitTimeInMs: 1000 });
    this.consumers.add(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: subscription.topics.map((t) => this.connection.topic(t)), fromBeginning: true });
    const logicalTopic = new Map(subscription.topics.map((t) => [this.connection.topic(t), t]));
    await consumer.run({
      // Only offsets resolved below (after the handler succeeded) are ever committed.
      autoCommit: true,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const messages: IncomingMessage[] = batch.messages.map((m) => ({
          topic: logicalTopic.get(batch.topic) ?? batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key?.toString() ?? null,
          value: parseJson(m.value),
          headers: decodeHeaders(m.headers),
        }));
        // Offsets are committed only after the handler finished, so a crash means redelivery, never loss.
        await subscription.handleBatch(messages);
        resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await commitOffsetsIfNecessary();
        await heartbeat();
      },
    });
    this.logger.log(`consumer ${groupId} subscribed to ${subscription.topics.join(', ')}`);
    return {
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
  }
}

function parseJson(value: Buffer | null): unknown {
  if (!value) return null;
  try {
    return JSON.parse(value.toString());
  } catch {
    return value.toString();
  }
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) result[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return result;
}
