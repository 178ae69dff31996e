import type { Coupon, UserCoupon } from '../entities/coupon.entities';

export type IssueOutcome = { kind: 'issued'; userCoupon: UserCoupon } | { kind: 'queued'; requestId: string };

/** The issuing strategy port (COUPON_ISSUE_STRATEGY): lock answers 201 at once, queue 202 + status. */
export abstract class CouponIssuer {
  abstract readonly strategy: 'lock' | 'queue';
  abstract issue(coupon: Coupon, userId: number): Promise<IssueOutcome>;
}
