import type { DiscountType } from './entities/coupon.entities';

export interface DiscountRule {
  discountType: DiscountType;
  discountValue: number;
  maxDiscountAmount: number | null;
}

/**
 * PERCENT is floor(total * value / 100), FIXED is value; capped by maxDiscountAmount when set and
 * by half of the total (floored), so an order is never more than half free.
 */
export function discountFor(rule: DiscountRule, totalAmount: number): number {
  const raw = rule.discountType === 'PERCENT' ? Math.floor((totalAmount * rule.discountValue) / 100) : rule.discountValue;
  const caps = [raw, Math.floor(totalAmount / 2)];
  if (rule.maxDiscountAmount !== null) caps.push(rule.maxDiscountAmount);
  return Math.max(0, Math.min(...caps));
}
