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

  /**
   * Applies a batch; an event already applied (redelivery, replay) changes nothing. Each event is
   * recorded without awaiting the one before: the store applies them in the order they were recorded
   * (Redis: one connection, auto-pipelined), so the batch costs one round trip instead of one per event.
   * Awaited one by one, each event waits a turn of the busy event loop, and under load the consumer
   * falls behind for good (about 90 events/s applied while 175 orders/s are paid).
   */
  async recordSales(messages: IncomingMessage[]): Promise<void> {
    const recorded: Array<Promise<boolean>> = [];
    let malformed: Error | undefined;
    for (const message of messages) {
      try {
        const event = parseOrderEvent(message.topic, message.value);
        const eventId = message.headers['event-id'] ?? event.eventId;
        recorded.push(
          event.type === ORDER_COMPLETED
            ? this.store.recordCompleted(eventId, event.orderId, event.occurredAt.slice(0, 10), event.items)
            : this.store.recordCancelled(eventId, event.orderId, event.items),
        );
      } catch (error) {
        // A malformed event throws MalformedMessageError: the runner dead-letters it, once the events before it are applied.
        malformed = error as Error;
        break;
      }
    }
    await Promise.all(recorded);
    if (malformed) throw malformed;
  }
}
