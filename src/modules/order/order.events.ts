/** Events the order module records in the outbox (contract: Events). Topic = event type. */
export const ORDER_COMPLETED = 'order.completed';
export const ORDER_CANCELLED = 'order.cancelled';

export interface OrderEventItem {
  productId: number;
  quantity: number;
  unitPrice: number;
}

/** `order.completed` value, without the eventId/occurredAt the outbox adds. */
export interface OrderCompletedData {
  [field: string]: unknown;
  orderId: number;
  userId: number;
  items: OrderEventItem[];
  totalAmount: number;
  discountAmount: number;
  finalAmount: number;
  userCouponId: number | null;
}

/** `order.cancelled` value, without the eventId/occurredAt the outbox adds. */
export interface OrderCancelledData {
  [field: string]: unknown;
  orderId: number;
  userId: number;
  items: OrderEventItem[];
  refundedAmount: number;
}
