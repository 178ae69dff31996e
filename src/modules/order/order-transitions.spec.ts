import { canTransition, cancellationRefunds, payRefusal } from './order-transitions';

describe('order transitions', () => {
  const now = new Date('2026-01-01T12:00:00.000Z');
  const later = new Date(now.getTime() + 60_000);
  const earlier = new Date(now.getTime() - 60_000);

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

  it('cancels pending and paid orders, never a cancelled one', () => {
    expect(canTransition('PENDING', 'CANCELLED')).toBe(true);
    expect(canTransition('PAID', 'CANCELLED')).toBe(true);
    expect(canTransition('CANCELLED', 'CANCELLED')).toBe(false);
    expect(canTransition('CANCELLED', 'PAID')).toBe(false);
    expect(canTransition('PAID', 'PENDING')).toBe(false);
  });

  it('refunds only what a paid order took', () => {
    expect(cancellationRefunds('PAID')).toBe(true);
    expect(cancellationRefunds('PENDING')).toBe(false);
  });
});
