import { EventPattern, Payload } from '@nestjs/microservices';
import { IncomingMessage } from '../../../platform/messaging/message-bus';
import { ConsumerExtras, MessageConsumer } from '../../../platform/messaging/message-bus.transport';
import { ORDER_CANCELLED, ORDER_COMPLETED, parseOrderEvent } from '../../order/contracts/order-events';
import { TopSellersStore } from './top-sellers.store';

const TOP_SELLERS: ConsumerExtras = { group: 'top-sellers' };

/** Keeps per-day sales from `order.completed` / `order.cancelled` (consumer group `top-sellers`). */
@MessageConsumer()
export class TopSellersConsumer {
  constructor(private readonly store: TopSellersStore) {}

  @EventPattern(ORDER_COMPLETED, TOP_SELLERS)
  async onOrderCompleted(@Payload() messages: IncomingMessage[]): Promise<void> {
    await this.recordSales(messages);
  }

  @EventPattern(ORDER_CANCELLED, TOP_SELLERS)
  async onOrderCancelled(@Payload() messages: IncomingMessage[]): Promise<void> {
    await this.recordSales(messages);
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
