import type { OrderStatus } from './entities/order.entities';

/**
 * The order lifecycle, and the only place it is written down: PENDING -> PAID (before it
 * expires), PENDING -> CANCELLED (by the buyer, or by the sweeper once expired), PAID -> CANCELLED
 * (stock and points given back). CANCELLED is final. `OrderRepository.move` applies a transition
 * as one conditional UPDATE built from these rules; the service asks them which moves exist and
 * why one was refused.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['PAID', 'CANCELLED'],
  PAID: ['CANCELLED'],
  CANCELLED: [],
};

/** The timestamp an order gets when it enters a status (PENDING is stamped by creation). */
export const STAMPED_ON_ENTRY = { PAID: 'paidAt', CANCELLED: 'cancelledAt' } as const;

/** A status an order can be moved into. */
export type TargetStatus = keyof typeof STAMPED_ON_ENTRY;

/** What the sweeper does to a PENDING order past its expiry. */
export const EXPIRY = { from: 'PENDING', to: 'CANCELLED' } as const satisfies { from: OrderStatus; to: TargetStatus };

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** True for the moves allowed only while the order has not expired (paying). */
export function needsUnexpired(from: OrderStatus, to: OrderStatus): boolean {
  return from === 'PENDING' && to === 'PAID';
}

/** Why an order in this state cannot be paid at `now`, or null when it can. */
export function payRefusal(order: { status: OrderStatus; expiresAt: Date }, now: Date): 'ORDER_EXPIRED' | 'ORDER_NOT_PENDING' | null {
  if (!canTransition(order.status, 'PAID')) return 'ORDER_NOT_PENDING';
  return needsUnexpired(order.status, 'PAID') && order.expiresAt <= now ? 'ORDER_EXPIRED' : null;
}

/** Cancelling a paid order gives back stock and points and records `order.cancelled`; a pending one has taken nothing. */
export function cancellationRefunds(status: OrderStatus): boolean {
  return status === 'PAID';
}
