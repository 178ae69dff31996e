import { MalformedMessageError, type IncomingMessage } from '../../../platform/messaging/message-bus';
import { ORDER_CANCELLED, ORDER_COMPLETED } from '../../order/contracts/order-events';
import { InMemoryTopSellersStore } from './in-memory-top-sellers.store';
import { TopSellersConsumer } from './top-sellers.consumer';

const DAY = '2026-12-02';

function event(topic: string, eventId: string, orderId: number, quantity: number): IncomingMessage {
  const value = {
    eventId,
    occurredAt: `${DAY}T09:00:00.000Z`,
    orderId,
    userId: 1,
    items: [{ productId: 7, quantity, unitPrice: 100 }],
    ...(topic === ORDER_COMPLETED
      ? { totalAmount: quantity * 100, discountAmount: 0, finalAmount: quantity * 100, userCouponId: null }
      : {}),
    ...(topic === ORDER_CANCELLED ? { refundedAmount: quantity * 100 } : {}),
  };
  return { topic, partition: 0, offset: '0', key: String(orderId), value, headers: { 'event-id': eventId } };
}

describe('TopSellersConsumer.recordSales', () => {
  it('applies a batch in its order, each event once, without awaiting one event before recording the next', async () => {
    const store = new InMemoryTopSellersStore();
    const consumer = new TopSellersConsumer(store);
    await consumer.recordSales([
      event(ORDER_COMPLETED, 'a', 1, 2),
      event(ORDER_COMPLETED, 'b', 2, 3),
      event(ORDER_CANCELLED, 'c', 1, 2),
      event(ORDER_COMPLETED, 'b', 2, 3), // redelivered in the same batch
    ]);
    expect(await store.totals([DAY])).toEqual([{ productId: 7, quantity: 3, revenue: 300 }]);
  });

  it('applies the events before a malformed one, then throws for the runner to dead-letter it', async () => {
    const store = new InMemoryTopSellersStore();
    const consumer = new TopSellersConsumer(store);
    const malformed = { ...event(ORDER_COMPLETED, 'x', 3, 1), value: { nonsense: true } };
    await expect(
      consumer.recordSales([event(ORDER_COMPLETED, 'a', 1, 2), malformed, event(ORDER_COMPLETED, 'b', 2, 5)]),
    ).rejects.toBeInstanceOf(MalformedMessageError);
    expect(await store.totals([DAY])).toEqual([{ productId: 7, quantity: 2, revenue: 200 }]);
  });
});
