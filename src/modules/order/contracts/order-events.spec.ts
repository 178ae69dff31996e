import { MalformedMessageError } from '../../../platform/messaging/message-bus';
import { ORDER_CANCELLED, ORDER_COMPLETED, orderCancelled, orderCompleted, parseOrderEvent } from './order-events';

describe('parseOrderEvent', () => {
  const envelope = {
    eventId: 'e-1',
    occurredAt: '2026-01-01T10:00:00.000Z',
    orderId: 7,
    userId: 3,
    items: [{ productId: 1, quantity: 2, unitPrice: 500 }],
  };
  const completed = { ...envelope, totalAmount: 1_000, discountAmount: 100, finalAmount: 900, userCouponId: null };

  it('reads both events off their topics, tagged with their type', () => {
    expect(parseOrderEvent(ORDER_COMPLETED, completed)).toEqual({ type: ORDER_COMPLETED, ...completed });
    expect(parseOrderEvent(ORDER_CANCELLED, { ...envelope, refundedAmount: 900 })).toMatchObject({
      type: ORDER_CANCELLED,
      refundedAmount: 900,
    });
  });

  it('reads the coupon a cancellation gave back, as null on events recorded before the field existed', () => {
    const cancelled = { ...envelope, refundedAmount: 900 };
    expect(parseOrderEvent(ORDER_CANCELLED, { ...cancelled, restoredUserCouponId: 12 })).toMatchObject({ restoredUserCouponId: 12 });
    expect(parseOrderEvent(ORDER_CANCELLED, { ...cancelled, restoredUserCouponId: null })).toMatchObject({ restoredUserCouponId: null });
    expect(parseOrderEvent(ORDER_CANCELLED, cancelled)).toMatchObject({ restoredUserCouponId: null });
    expect(() => parseOrderEvent(ORDER_CANCELLED, { ...cancelled, restoredUserCouponId: '12' })).toThrow(
      /"restoredUserCouponId" must be a number/,
    );
  });

  it('tolerates fields added later', () => {
    expect(parseOrderEvent(ORDER_COMPLETED, { ...completed, channel: 'web' })).toMatchObject({ orderId: 7 });
  });

  it('rejects missing, mistyped or empty fields as MalformedMessageError naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /must be of type object/],
      ['{"orderId":7}', /must be of type object/],
      [{ ...completed, orderId: '7' }, /"orderId" must be a number/],
      [{ ...completed, items: [] }, /"items" must contain at least 1/],
      [{ ...completed, occurredAt: 'yesterday' }, /"occurredAt" must be in iso format/],
      [{ ...completed, finalAmount: undefined }, /"finalAmount" is required/],
      [{ ...completed, items: [{ productId: 1, quantity: 0, unitPrice: 5 }] }, /"items\[0\].quantity" must be greater than or equal to 1/],
    ];
    for (const [value, reason] of cases) {
      expect(() => parseOrderEvent(ORDER_COMPLETED, value)).toThrow(MalformedMessageError);
      expect(() => parseOrderEvent(ORDER_COMPLETED, value)).toThrow(reason);
    }
  });

  it('rejects a topic that carries no order event', () => {
    expect(() => parseOrderEvent('order.created', completed)).toThrow(MalformedMessageError);
  });
});

describe('the events the order module records', () => {
  const order = {
    id: 7,
    userId: 3,
    items: [{ productId: 1, name: 'Beans', quantity: 2, unitPrice: 500, lineTotal: 1_000 }],
    totalAmount: 1_000,
    discountAmount: 100,
    finalAmount: 900,
    userCouponId: 11,
  };
  // The outbox adds these two to every recorded value.
  const envelope = { eventId: 'e-1', occurredAt: '2026-01-01T10:00:00.000Z' };

  it('are what consumers read, keyed by order and without the lines consumers do not need', () => {
    const completed = orderCompleted(order);
    expect(completed).toMatchObject({ type: ORDER_COMPLETED, key: '7' });
    expect(parseOrderEvent(completed.type, { ...envelope, ...completed.data })).toEqual({
      type: ORDER_COMPLETED,
      ...envelope,
      orderId: 7,
      userId: 3,
      items: [{ productId: 1, quantity: 2, unitPrice: 500 }],
      totalAmount: 1_000,
      discountAmount: 100,
      finalAmount: 900,
      userCouponId: 11,
    });
    const cancelled = orderCancelled(order, 11);
    expect(cancelled).toMatchObject({ type: ORDER_CANCELLED, key: '7' });
    expect(parseOrderEvent(cancelled.type, { ...envelope, ...cancelled.data })).toMatchObject({
      refundedAmount: 900,
      orderId: 7,
      restoredUserCouponId: 11,
    });
  });
});
