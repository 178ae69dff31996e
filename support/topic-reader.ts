import { type Consumer, Kafka, logLevel } from 'kafkajs';

export interface ReadMessage {
  topic: string;
  key: string;
  eventId: string;
  eventType: string;
  timestamp: number;
  value: any;
}

/** Reads topics from the beginning with its own consumer group, independent of the app. */
export class TopicReader {
  readonly messages: ReadMessage[] = [];
  private consumer?: Consumer;

  constructor(
    private readonly brokers: string,
    private readonly topics: string[],
    /** Defaults to a random group; give one under the run's topic prefix to have cleanup delete it. */
    private readonly groupId = `reader-${Date.now()}-${Math.random()}`,
  ) {}

  async start(): Promise<this> {
    const kafka = new Kafka({ brokers: this.brokers.split(','), logLevel: logLevel.NOTHING, clientId: 'test-reader' });
    this.consumer = kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 500 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        this.messages.push({
          topic,
          key: message.key?.toString() ?? '',
          eventId: message.headers?.['event-id']?.toString() ?? '',
          eventType: message.headers?.['event-type']?.toString() ?? '',
          timestamp: Number(message.timestamp),
          value: JSON.parse(message.value?.toString() ?? 'null'),
        });
      },
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
