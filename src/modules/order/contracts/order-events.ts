import * as Joi from 'joi';
import { MalformedMessageError } from '../../../platform/messaging/message-bus';
import type { OutboxEvent } from '../../../platform/outbox/outbox-writer';

/**
 * The order module's event contract (docs/events.md): what it records in the outbox and what
 * consumers in other modules may rely on. Topic = event type; key = order id.
 */
export const ORDER_COMPLETED = 'order.completed';
export const ORDER_CANCELLED = 'order.cancelled';

export interface OrderEventItem {
  productId: number;
  quantity: number;
  unitPrice: number;
}

/** `order.completed` as the order module records it (the outbox adds the envelope). */
export interface OrderCompletedData {
  orderId: number;
  userId: number;
  items: OrderEventItem[];
  totalAmount: number;
  discountAmount: number;
  finalAmount: number;
  userCouponId: number | null;
}

/** `order.cancelled` as the order module records it (the outbox adds the envelope). */
export interface OrderCancelledData {
  orderId: number;
  userId: number;
  items: OrderEventItem[];
  refundedAmount: number;
  /** The user coupon the order used, given back to the user; null when it used none or the coupon had expired. */
  restoredUserCouponId: number | null;
}

/** The order as the events read it (the repository's record has these and more). */
export type OrderSnapshot = Omit<OrderCompletedData, 'orderId'> & { id: number };

/** `order.completed`, recorded in the payment's transaction. */
export function orderCompleted(order: OrderSnapshot): OutboxEvent<typeof ORDER_COMPLETED, OrderCompletedData> {
  return {
    type: ORDER_COMPLETED,
    key: String(order.id),
    data: {
      orderId: order.id,
      userId: order.userId,
      items: eventItems(order),
      totalAmount: order.totalAmount,
      discountAmount: order.discountAmount,
      finalAmount: order.finalAmount,
      userCouponId: order.userCouponId,
    },
  };
}

/** `order.cancelled`, recorded in the cancellation's transaction of a PAID order (its points refunded, its coupon given back unless expired). */
export function orderCancelled(
  order: OrderSnapshot,
  restoredUserCouponId: number | null,
): OutboxEvent<typeof ORDER_CANCELLED, OrderCancelledData> {
  return {
    type: ORDER_CANCELLED,
    key: String(order.id),
    data: { orderId: order.id, userId: order.userId, items: eventItems(order), refundedAmount: order.finalAmount, restoredUserCouponId },
  };
}

function eventItems(order: OrderSnapshot): OrderEventItem[] {
  return order.items.map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice }));
}

/** What the outbox adds to every event value. */
export interface OrderEventEnvelope {
  eventId: string;
  /** ISO-8601 UTC timestamp of the state change. */
  occurredAt: string;
}

export type OrderCompletedEvent = OrderEventEnvelope & OrderCompletedData;
export type OrderCancelledEvent = OrderEventEnvelope & OrderCancelledData;
export type OrderEvent =
  ({ type: typeof ORDER_COMPLETED } & OrderCompletedEvent) | ({ type: typeof ORDER_CANCELLED } & OrderCancelledEvent);

const id = Joi.number().integer().positive();
const amount = Joi.number().integer().min(0);
const envelope = {
  eventId: Joi.string().min(1).required(),
  occurredAt: Joi.string().isoDate().required(),
  orderId: id.required(),
  userId: id.required(),
  items: Joi.array()
    .items(
      Joi.object({ productId: id.required(), quantity: Joi.number().integer().min(1).required(), unitPrice: amount.required() }).unknown(
        true,
      ),
    )
    .min(1)
    .required(),
};
// Fields added later are tolerated (unknown(true)); missing or mistyped ones are not.
const schemas = {
  [ORDER_COMPLETED]: Joi.object<OrderCompletedEvent>({
    ...envelope,
    totalAmount: amount.required(),
    discountAmount: amount.required(),
    finalAmount: amount.required(),
    userCouponId: id.allow(null).required(),
  }).unknown(true),
  [ORDER_CANCELLED]: Joi.object<OrderCancelledEvent>({
    ...envelope,
    refundedAmount: amount.required(),
    // Absent from events recorded before coupons were given back (they never were): read as null.
    restoredUserCouponId: id.allow(null).default(null),
  }).unknown(true),
};

/**
 * Reads an order event off its topic, or throws MalformedMessageError (the consumer runner then
 * sends the message to the dead-letter topic at once: retrying cannot fix it).
 */
export function parseOrderEvent(topic: string, value: unknown): OrderEvent {
  if (topic !== ORDER_COMPLETED && topic !== ORDER_CANCELLED) throw new MalformedMessageError(`${topic} is not an order event topic`);
  const result = schemas[topic].validate(value, { abortEarly: true, convert: false });
  if (result.error) throw new MalformedMessageError(`malformed ${topic}: ${result.error.message}`);
  return { type: topic, ...result.value } as OrderEvent;
}
