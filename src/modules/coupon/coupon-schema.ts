import { type SchemaPart } from '../../platform/database/schema-part';
import { Coupon, CouponIssueRequest, UserCoupon } from './entities/coupon.entities';
import { CouponIssueRequests1732700000000 } from './migrations/1732700000000-coupon-issue-requests';

/**
 * The coupon module's tables, `coupons`, `user_coupons` and `coupon_issue_requests`: their entities
 * and its migrations, oldest first. The first two were created by the platform's
 * CommerceCore1732500000000, which predates module-owned migrations; a change to them is a
 * migration in this module's `migrations/` folder.
 */
export const COUPON_SCHEMA: SchemaPart = {
  entities: [Coupon, UserCoupon, CouponIssueRequest],
  migrations: [CouponIssueRequests1732700000000],
};
