import type { Coupon, UserCoupon } from './entities/coupon.entities';

export interface CouponView {
  id: number;
  name: string;
  discountType: Coupon['discountType'];
  discountValue: number;
  totalQuantity: number;
  issuedQuantity: number;
  remainingQuantity: number;
  minOrderAmount: number;
  maxDiscountAmount: number | null;
  validDays: number;
  issueStartsAt: string | null;
  issueEndsAt: string | null;
}

export type UserCouponStatusView = 'AVAILABLE' | 'USED' | 'EXPIRED';

export function toCouponView(coupon: Coupon): CouponView {
  return {
    id: coupon.id,
    name: coupon.name,
    discountType: coupon.discountType,
    discountValue: coupon.discountValue,
    totalQuantity: coupon.totalQuantity,
    issuedQuantity: coupon.issuedQuantity,
    remainingQuantity: coupon.totalQuantity - coupon.issuedQuantity,
    minOrderAmount: coupon.minOrderAmount,
    maxDiscountAmount: coupon.maxDiscountAmount,
    validDays: coupon.validDays,
    issueStartsAt: coupon.issueStartsAt?.toISOString() ?? null,
    issueEndsAt: coupon.issueEndsAt?.toISOString() ?? null,
  };
}

export function toUserCouponView(copy: UserCoupon, coupon: Coupon, now = new Date()) {
  const status: UserCouponStatusView = copy.status === 'USED' ? 'USED' : copy.expiresAt <= now ? 'EXPIRED' : 'AVAILABLE';
  return {
    userCouponId: copy.id,
    couponId: coupon.id,
    name: coupon.name,
    discountType: coupon.discountType,
    discountValue: coupon.discountValue,
    minOrderAmount: coupon.minOrderAmount,
    maxDiscountAmount: coupon.maxDiscountAmount,
    status,
    issuedAt: copy.issuedAt.toISOString(),
    expiresAt: copy.expiresAt.toISOString(),
    usedAt: copy.usedAt?.toISOString() ?? null,
    orderId: copy.orderId,
  };
}

export type UserCouponView = ReturnType<typeof toUserCouponView>;
