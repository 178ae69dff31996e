import type { OrderStatus } from './entities/order.entities';
import {
  canTransition,
  cancellationRefunds,
  EXPIRY,
  needsUnexpired,
  ORDER_TRANSITIONS,
  payRefusal,
  STAMPED_ON_ENTRY,
} from './order-transitions';

const STATUSES: OrderStatus[] = ['PENDING', 'PAID', 'CANCELLED'];

describe('order transitions', () => {
  const now = new Date('2026-01-01T12:00:00.000Z');
  const later = new Date(now.getTime() + 60_000);
  const earlier = new Date(now.getTime() - 60_000);

  it('allows exactly these moves, and nothing out of CANCELLED', () => {
    const allowed = STATUSES.flatMap((from) => STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`));
    expect(allowed).toEqual(['PENDING->PAID', 'PENDING->CANCELLED', 'PAID->CANCELLED']);
    expect(Object.keys(ORDER_TRANSITIONS).sort()).toEqual([...STATUSES].sort());
  });

  it('stamps every status a move can enter, and only those', () => {
    const targets = new Set(STATUSES.flatMap((from) => ORDER_TRANSITIONS[from]));
    expect(Object.keys(STAMPED_ON_ENTRY).sort()).toEqual([...targets].sort());
    expect(STAMPED_ON_ENTRY).toEqual({ PAID: 'paidAt', CANCELLED: 'cancelledAt' });
  });

  it('expires by a move the table allows', () => {
    expect(canTransition(EXPIRY.from, EXPIRY.to)).toBe(true);
    expect(EXPIRY).toEqual({ from: 'PENDING', to: 'CANCELLED' });
  });

  it('checks expiry only when paying', () => {
    expect(needsUnexpired('PENDING', 'PAID')).toBe(true);
    expect(needsUnexpired('PENDING', 'CANCELLED')).toBe(false);
    expect(needsUnexpired('PAID', 'CANCELLED')).toBe(false);
  });

  it('pays a pending order before it expires', () => {
    expect(payRefusal({ status: 'PENDING', expiresAt: later }, now)).toBeNull();
  });

  it('refuses a pending order at or after its expiry as ORDER_EXPIRED', () => {
    expect(payRefusal({ status: 'PENDING', expiresAt: earlier }, now)).toBe('ORDER_EXPIRED');
    expect(payRefusal({ status: 'PENDING', expiresAt: now }, now)).toBe('ORDER_EXPIRED');
  });

  it('refuses to pay a paid or cancelled order as ORDER_NOT_PENDING, expired or not', () => {
    expect(payRefusal({ status: 'PAID', expiresAt: later }, now)).toBe('ORDER_NOT_PENDING');
    expect(payRefusal({ status: 'CANCELLED', expiresAt: earlier }, now)).toBe('ORDER_NOT_PENDING');
  });

  it('refunds only what a paid order took', () => {
    expect(cancellationRefunds('PAID')).toBe(true);
    expect(cancellationRefunds('PENDING')).toBe(false);
    expect(cancellationRefunds('CANCELLED')).toBe(false);
  });
});
