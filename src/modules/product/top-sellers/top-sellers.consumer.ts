import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BackgroundSubscription } from '../../../platform/messaging/background-subscription';
import { IncomingMessage, MessageBus } from '../../../platform/messaging/message-bus';
import { ORDER_CANCELLED, ORDER_COMPLETED, parseOrderEvent } from '../../order/contracts/order-events';
import { TopSellersStore } from './top-sellers.store';

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
      // A malformed event throws MalformedMessageError: the runner dead-letters it.
      const event = parseOrderEvent(message.topic, message.value);
      const eventId = message.headers['event-id'] ?? event.eventId;
      if (event.type === ORDER_COMPLETED) {
        await this.store.recordCompleted(eventId, event.orderId, event.occurredAt.slice(0, 10), event.items);
      } else {
        await this.store.recordCancelled(eventId, event.orderId, event.items);
      }
    }
  }
}
