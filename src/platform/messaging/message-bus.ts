/**
 * The messaging port. Business modules publish and subscribe through it and never import kafkajs:
 * the full profile wires Kafka behind it, the embedded profile an in-process bus.
 * Topic names here are logical (`order.completed`); adapters apply KAFKA_TOPIC_PREFIX.
 */
export interface OutgoingMessage {
  topic: string;
  key: string;
  value: unknown;
  headers?: Record<string, string>;
}

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
}

export interface Subscription {
  /** Consumers with the same group share the work; each group sees every message once. */
  groupId: string;
  topics: string[];
  /** Partitions for topics this subscription creates (default 6). */
  partitions?: number;
  /** Messages of one topic partition, in order. Resolve only after their side effects are durable. */
  handleBatch(messages: IncomingMessage[]): Promise<void>;
}

export interface SubscriptionHandle {
  stop(): Promise<void>;
}

export abstract class MessageBus {
  /** Resolves once the broker acknowledged every message (or rejects: nothing is then promised). */
  abstract publish(messages: OutgoingMessage[]): Promise<void>;
  /** Declares topics before producing or consuming (KRaft rejects subscribing to a missing topic). */
  abstract ensureTopics(topics: Array<{ name: string; partitions?: number }>): Promise<void>;
  abstract subscribe(subscription: Subscription): Promise<SubscriptionHandle>;
}

/** Where a consumer puts a message it cannot handle after its retries. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlt`;
}

/**
 * Thrown by a handler for a message it cannot read (not its contract). Retrying cannot fix it:
 * runners send such a message to the dead-letter topic at once and go on with the others.
 */
export class MalformedMessageError extends Error {
  override name = 'MalformedMessageError';
}
