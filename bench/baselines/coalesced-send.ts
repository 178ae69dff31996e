import { type Message, type Producer } from 'kafkajs';

/**
 * The app's way of publishing (src/platform/messaging/kafka-message-bus.ts) with nothing around it:
 * one send in flight; publishes that arrive meanwhile leave together in the next one. The
 * idempotent producer sends one request at a time per partition, so one send per caller would
 * queue each caller behind the others' round trips.
 */
export class CoalescedSend {
  private readonly unsent: Array<{ messages: Message[]; done: () => void; fail: (error: unknown) => void }> = [];
  private sending = false;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  /** Resolves once the broker acknowledged the messages (acks from all in-sync replicas). */
  publish(messages: Message[]): Promise<void> {
    return new Promise((done, fail) => {
      this.unsent.push({ messages, done, fail });
      if (!this.sending) void this.sendUnsent();
    });
  }

  private async sendUnsent(): Promise<void> {
    this.sending = true;
    while (this.unsent.length > 0) {
      const publishes = this.unsent.splice(0);
      try {
        await this.producer.sendBatch({ acks: -1, topicMessages: [{ topic: this.topic, messages: publishes.flatMap((p) => p.messages) }] });
        publishes.forEach((p) => p.done());
      } catch (error) {
        publishes.forEach((p) => p.fail(error));
      }
    }
    this.sending = false;
  }
}
