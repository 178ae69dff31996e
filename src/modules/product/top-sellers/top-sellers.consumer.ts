import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { IncomingMessage, MessageBus, SubscriptionHandle } from '../../../platform/messaging/message-bus';
import { ORDER_CANCELLED, ORDER_COMPLETED, OrderEventItem } from '../../order/order.events';
import { TopSellersStore } from './top-sellers.store';

const RESUBSCRIBE_DELAY_MS = 5_000;

interface OrderEventValue {
  eventId: string;
  occurredAt: string;
  orderId: number;
  items: OrderEventItem[];
}

/** Keeps per-day sales from `order.completed` / `order.cancelled` (consumer group `top-sellers`). */
@Injectable()
export class TopSellersConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('TopSellersConsumer');
  private handle?: SubscriptionHandle;
  private subscribing?: Promise<void>;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly bus: MessageBus,
    private readonly store: TopSellersStore,
  ) {}

  onApplicationBootstrap(): void {
    this.subscribing = this.subscribe();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    // A subscription still joining its group must finish joining before it can be stopped.
    await this.subscribing;
    await this.handle?.stop();
  }

  /** Applies a batch; an event already applied (redelivery, replay) changes nothing. */
  async recordSales(messages: IncomingMessage[]): Promise<void> {
    for (const message of messages) {
      const event = message.value as OrderEventValue;
      const eventId = message.headers['event-id'] ?? event.eventId;
      if (message.topic === ORDER_COMPLETED) {
        await this.store.recordCompleted(eventId, event.orderId, event.occurredAt.slice(0, 10), event.items);
      } else if (message.topic === ORDER_CANCELLED) {
        await this.store.recordCancelled(eventId, event.orderId, event.items);
      }
    }
  }

  private async subscribe(): Promise<void> {
    try {
      this.handle = await this.bus.subscribe({
        groupId: 'top-sellers',
        topics: [ORDER_COMPLETED, ORDER_CANCELLED],
        handleBatch: (messages) => this.recordSales(messages),
      });
    } catch (error) {
      if (this.stopped) return;
      // Kafka may be down at start-up; the app serves meanwhile and the consumer joins later.
      this.logger.warn(`subscription failed, retrying in ${RESUBSCRIBE_DELAY_MS} ms: ${(error as Error).message}`);
      this.retry = setTimeout(() => (this.subscribing = this.subscribe()), RESUBSCRIBE_DELAY_MS);
    }
  }
}
