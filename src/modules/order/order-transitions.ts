import type { OrderStatus } from './entities/order.entities';

/**
 * The order lifecycle: PENDING -> PAID (before it expires), PENDING -> CANCELLED, PAID -> CANCELLED
 * (stock and points given back). CANCELLED is final. The database applies each transition with a
 * conditional UPDATE; these rules say which ones exist and why one was refused.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['PAID', 'CANCELLED'],
  PAID: ['CANCELLED'],
  CANCELLED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** Why an order in this state cannot be paid at `now`, or null when it can. */
export function payRefusal(order: { status: OrderStatus; expiresAt: Date }, now: Date): 'ORDER_EXPIRED' | 'ORDER_NOT_PENDING' | null {
  if (!canTransition(order.status, 'PAID')) return 'ORDER_NOT_PENDING';
  return order.expiresAt <= now ? 'ORDER_EXPIRED' : null;
}

/** Cancelling a paid order gives back stock and points and records `order.cancelled`; a pending one has taken nothing. */
export function cancellationRefunds(status: OrderStatus): boolean {
  return status === 'PAID';
}
