import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Consumer, IHeaders, KafkaMessage } from 'kafkajs';
import { DependencyUnavailableError, unavailableDependency } from '../http/dependency-errors';
import { KafkaConnection } from '../kafka/kafka-connection';
import { sendBatchDelivered } from '../kafka/kafkajs-unsent-partition-fix';
import { ConsumerMetrics } from './consumer-metrics';
import { handleTraced, publishTraced } from './message-tracing';
import {
  deadLetterTopic,
  IncomingMessage,
  MalformedMessageError,
  MessageBus,
  OutgoingMessage,
  Subscription,
  SubscriptionHandle,
} from './message-bus';

/** Tries of a failing batch before its messages are tried alone (exported: tests derive their waits from these). */
export const BATCH_ATTEMPTS = 3;
const MESSAGE_ATTEMPTS = 2;
export const RETRY_DELAY_MS = 200;
/** Longest wait between tries of a batch while a dependency is down. */
export const OUTAGE_RETRY_MAX_MS = 2_000;
/** Callers combined into one produce request at most (each usually publishes one message). */
const MAX_PUBLISHES_PER_SEND = 1_000;

/**
 * Kafka adapter of the messaging port, and the app's one consumer runner (kafkajs eachBatch):
 * a batch is handled, then its offsets are committed. A failing batch is retried; if it keeps
 * failing, its messages are retried one by one and those that still fail go to the dead-letter
 * topic `<topic>.dlt` with the original topic, partition, offset and error as headers. A batch
 * that fails because a dependency is down (Redis, MySQL) is not retried that way: it waits for
 * the dependency, and nothing of it is dead-lettered or committed.
 * With tracing on, each message is sent and each batch handled in a span of its trace (message-tracing.ts).
 */
@Injectable()
export class KafkaMessageBus extends MessageBus implements OnApplicationShutdown {
  private readonly logger = new Logger('KafkaMessageBus');
  private readonly consumers = new Set<Consumer>();
  private readonly ensuredTopics = new Set<string>();
  /** Partitions a module declared for a topic, kept for a send that has to create it (declared while Kafka was down). */
  private readonly declaredPartitions = new Map<string, number>();
  private readonly unsent: Array<{ messages: OutgoingMessage[]; resolve: () => void; reject: (error: unknown) => void }> = [];
  private sending = false;
  private closing = false;

  constructor(
    private readonly connection: KafkaConnection,
    private readonly metrics: ConsumerMetrics,
  ) {
    super();
  }

  /**
   * Resolves once the broker acknowledged every message (acks from all in-sync replicas).
   * Publishes that arrive while a send is in flight are combined into the next send: the
   * idempotent producer sends one request at a time per partition, so one send per caller would
   * queue callers behind each other's round trips.
   * A publish not acknowledged within KAFKA_PRODUCE_TIMEOUT_MS fails as "Kafka unavailable" (the
   * producer's own retries against a silent broker take far longer); it may still be delivered
   * later, which consumers tolerate (at-least-once, see docs/events.md).
   */
  publish(messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return publishTraced(messages, (traced) => this.enqueue(traced));
  }

  private enqueue(messages: OutgoingMessage[]): Promise<void> {
    const timeoutMs = this.connection.produceTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const entry = {
        messages,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      };
      const timer = setTimeout(() => {
        const queued = this.unsent.indexOf(entry);
        if (queued >= 0) this.unsent.splice(queued, 1); // not sent yet: never will be
        reject(new DependencyUnavailableError('kafka', `publish not acknowledged within ${timeoutMs} ms`));
      }, timeoutMs);
      this.unsent.push(entry);
      if (!this.sending) void this.sendUnsent();
    });
  }

  private async sendUnsent(): Promise<void> {
    this.sending = true;
    try {
      while (this.unsent.length > 0) {
        const publishes = this.unsent.splice(0, MAX_PUBLISHES_PER_SEND);
        try {
          await this.send(publishes.flatMap((p) => p.messages));
          publishes.forEach((p) => p.resolve());
        } catch (error) {
          if (publishes.length === 1) publishes[0].reject(error);
          // One caller's bad message (say, a topic the broker refuses) must not fail the others: retry each alone.
          else for (const p of publishes) await this.send(p.messages).then(p.resolve, p.reject);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private async send(messages: OutgoingMessage[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const message of messages) byTopic.set(message.topic, [...(byTopic.get(message.topic) ?? []), message]);
    // Topics are created on first use too, so a broker that was down at start-up costs nothing.
    const missing = [...byTopic.keys()].filter((topic) => !this.ensuredTopics.has(topic));
    if (missing.length > 0) await this.ensureTopics(missing.map((name) => ({ name, partitions: this.declaredPartitions.get(name) })));
    const producer = await this.connection.getProducer();
    try {
      await sendBatchDelivered(producer, {
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic: this.connection.topic(topic),
          messages: list.map((m) => ({ key: m.key, value: JSON.stringify(m.value), headers: m.headers })),
        })),
      });
    } catch (error) {
      // A topic that existed is gone (deleted, or a broker restarted without its data): the next
      // send creates it again instead of failing on it for ever.
      if (isUnknownTopic(error)) for (const topic of byTopic.keys()) this.ensuredTopics.delete(topic);
      throw error;
    }
  }

  async ensureTopics(topics: Array<{ name: string; partitions?: number }>): Promise<void> {
    for (const { name, partitions } of topics) if (partitions !== undefined) this.declaredPartitions.set(name, partitions);
    await this.connection.ensureTopics(topics.map((t) => ({ name: t.name, numPartitions: t.partitions })));
    for (const topic of topics) this.ensuredTopics.add(topic.name);
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    const groupId = this.connection.topic(subscription.groupId);
    // Before any wait: a subscription that is still joining (broker slow or away) already reads 0 dead letters.
    this.metrics.track(subscription.groupId);
    await this.ensureTopics([
      ...subscription.topics.map((name) => ({ name, partitions: subscription.partitions })),
      ...subscription.topics.map((name) => ({ name: deadLetterTopic(name), partitions: 1 })),
    ]);
    // A short fetch wait keeps shutdown fast (disconnect waits out a pending fetch); data still arrives at once.
    const state = { stopped: false };
    const consumer = this.connection.kafka.consumer({
      groupId,
      // After a broker restart the group waits out the members it remembers for this long before
      // the rejoined consumers get their partitions back (kafkajs rejoins as a new member).
      sessionTimeout: this.connection.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.connection.sessionTimeoutMs / 3)),
      maxWaitTimeInMs: 1000,
      // kafkajs restarts a crashed consumer (e.g. after a broker restart); never once it is stopped,
      // or it would reconnect after shutdown.
      retry: { retries: 10, restartOnFailure: async () => !state.stopped && !this.closing },
    });
    this.consumers.add(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: subscription.topics.map((t) => this.connection.topic(t)), fromBeginning: true });
    const logicalTopic = new Map(subscription.topics.map((t) => [this.connection.topic(t), t]));
    await consumer.run({
      // Only offsets resolved below (after the handler succeeded or dead-lettered) are committed.
      autoCommit: true,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
        const topic = logicalTopic.get(batch.topic) ?? batch.topic;
        const messages = batch.messages.map((m) => toIncoming(topic, batch.partition, m));
        await this.handle(
          subscription,
          messages,
          () => payload.heartbeat(),
          () => payload.isRunning() && !payload.isStale(),
        );
        this.metrics.recordLag(subscription.groupId, batch.partition, Number(batch.offsetLag()));
        payload.resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await payload.commitOffsetsIfNecessary();
        await payload.heartbeat();
      },
    });
    if (this.closing) {
      // The app began shutting down while this consumer joined: do not leave it running.
      await consumer.disconnect();
      this.consumers.delete(consumer);
      throw new Error(`consumer ${groupId} started during shutdown`);
    }
    this.logger.log(`consumer ${groupId} subscribed to ${subscription.topics.join(', ')}`);
    return {
      stop: async () => {
        state.stopped = true;
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  private async handle(
    subscription: Subscription,
    messages: IncomingMessage[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    const group = subscription.groupId;
    for (let attempt = 1, outage = 0; attempt <= BATCH_ATTEMPTS; attempt++) {
      try {
        await handleTraced(group, messages, () => subscription.handleBatch(messages));
        this.metrics.processed.inc({ group }, messages.length);
        return;
      } catch (error) {
        this.metrics.failed.inc({ group });
        this.logger.warn(`${group}: batch of ${messages.length} failed (attempt ${attempt}): ${(error as Error).message}`);
        // A malformed message stays malformed: isolate it now rather than retry the batch.
        if (error instanceof MalformedMessageError) break;
        if (unavailableDependency(error)) {
          // A dependency that is down (Redis, MySQL) is not the messages' fault: nothing is
          // dead-lettered or committed; the batch waits for it, or is fetched again after a stop.
          if (!isRunning()) throw error;
          attempt--;
          outage++;
          await heartbeat();
          await delay(Math.min(RETRY_DELAY_MS * outage, OUTAGE_RETRY_MAX_MS));
          continue;
        }
        await heartbeat();
        await delay(RETRY_DELAY_MS * attempt);
      }
    }
    // Isolate the poison: the good messages of the batch are still handled, in order.
    for (const message of messages) {
      let lastError: unknown;
      for (let attempt = 1; attempt <= MESSAGE_ATTEMPTS; attempt++) {
        try {
          await handleTraced(group, [message], () => subscription.handleBatch([message]));
          this.metrics.processed.inc({ group });
          lastError = undefined;
          break;
        } catch (error) {
          lastError = error;
          if (error instanceof MalformedMessageError) break;
          // An outage that began meanwhile: kafkajs fetches the unresolved rest again (handlers are idempotent).
          if (unavailableDependency(error)) throw error;
          await heartbeat();
        }
      }
      if (lastError !== undefined) await this.deadLetter(group, message, lastError as Error);
    }
  }

  private async deadLetter(group: string, message: IncomingMessage, error: Error): Promise<void> {
    await this.publish([
      {
        topic: deadLetterTopic(message.topic),
        key: message.key ?? '',
        value: message.value,
        headers: {
          ...message.headers,
          'dlt-original-topic': this.connection.topic(message.topic),
          'dlt-original-partition': String(message.partition),
          'dlt-original-offset': message.offset,
          'dlt-consumer-group': group,
          'dlt-error': error.message.slice(0, 1000),
        },
      },
    ]);
    this.metrics.deadLettered.inc({ group });
    this.logger.error(`${group}: ${message.topic}[${message.partition}]@${message.offset} dead-lettered: ${error.message}`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
  }
}

function isUnknownTopic(error: unknown): boolean {
  for (let current = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined; current;) {
    if (current.type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
    current = (current.cause ?? current.originalError) as typeof current;
  }
  return false;
}

function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value: parseJson(message.value),
    headers: decodeHeaders(message.headers),
  };
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
