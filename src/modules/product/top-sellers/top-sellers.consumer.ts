import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BackgroundSubscription } from '../../../platform/messaging/background-subscription';
import { IncomingMessage, MessageBus } from '../../../platform/messaging/message-bus';
import { ORDER_CANCELLED, ORDER_COMPLETED, OrderEventItem } from '../../order/order.events';
import { TopSellersStore } from './top-sellers.store';

interface OrderEventValue {
  eventId: string;
  occurredAt: string;
  orderId: number;
  items: OrderEventItem[];
}

/** Keeps per-day sales from `order.completed` / `order.cancelled` (consumer group `top-sellers`). */
@Injectable()
export class TopSellersConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly subscription: BackgroundSubscription;

  constructor(
    bus: MessageBus,
    private readonly store: TopSellersStore,
  ) {
    this.subscription = new BackgroundSubscription(bus, {
      groupId: 'top-sellers',
      topics: [ORDER_COMPLETED, ORDER_CANCELLED],
      handleBatch: (messages) => this.recordSales(messages),
    });
  }

  onApplicationBootstrap(): void {
    this.subscription.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.subscription.stop();
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
}
