import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { bigintAsNumber } from '../../../platform/database/columns';

export type DiscountType = 'PERCENT' | 'FIXED';

/** A campaign with limited stock. */
@Entity('coupons')
export class Coupon {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ name: 'discount_type', type: 'varchar', length: 16 })
  discountType!: DiscountType;

  @Column({ name: 'discount_value', type: 'bigint', transformer: bigintAsNumber })
  discountValue!: number;

  @Column({ name: 'total_quantity', type: 'integer' })
  totalQuantity!: number;

  @Column({ name: 'issued_quantity', type: 'integer' })
  issuedQuantity!: number;

  @Column({ name: 'min_order_amount', type: 'bigint', transformer: bigintAsNumber })
  minOrderAmount!: number;

  @Column({ name: 'max_discount_amount', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  maxDiscountAmount!: number | null;

  @Column({ name: 'valid_days', type: 'integer' })
  validDays!: number;

  @Column({ name: 'issue_starts_at', type: 'datetime', precision: 3, nullable: true })
  issueStartsAt!: Date | null;

  @Column({ name: 'issue_ends_at', type: 'datetime', precision: 3, nullable: true })
  issueEndsAt!: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

export type UserCouponStatus = 'AVAILABLE' | 'USED';

/** One issued copy of a coupon; (coupon, user) is unique. EXPIRED is derived from expiresAt. */
@Entity('user_coupons')
@Unique('uq_user_coupons_coupon_user', ['couponId', 'userId'])
@Index('ix_user_coupons_user_id', ['userId', 'id'])
export class UserCoupon {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'coupon_id', type: 'integer' })
  couponId!: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: UserCouponStatus;

  @Column({ name: 'issued_at', type: 'datetime', precision: 3 })
  issuedAt!: Date;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'datetime', precision: 3, nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'order_id', type: 'integer', nullable: true })
  orderId!: number | null;
}

/**
 * ISSUED and REJECTED are decisions, written by the consumer. WITHDRAWN: the queue never
 * acknowledged the request (its caller was answered 503), so it is not to be decided. PENDING
 * rows only come from versions that wrote the row before the 202.
 */
export type IssueRequestStatus = 'PENDING' | 'ISSUED' | 'REJECTED' | 'WITHDRAWN';

/** A queued issue request (queue strategy), once decided (or withdrawn). */
@Entity('coupon_issue_requests')
@Index('ix_coupon_issue_requests_user', ['userId', 'requestedAt'])
export class CouponIssueRequest {
  @PrimaryColumn({ name: 'request_id', type: 'varchar', length: 36 })
  requestId!: string;

  @Column({ name: 'coupon_id', type: 'integer' })
  couponId!: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: IssueRequestStatus;

  @Column({ type: 'varchar', length: 50, nullable: true })
  reason!: string | null;

  @Column({ name: 'user_coupon_id', type: 'integer', nullable: true })
  userCouponId!: number | null;

  @Column({ name: 'requested_at', type: 'datetime', precision: 3 })
  requestedAt!: Date;

  @Column({ name: 'decided_at', type: 'datetime', precision: 3, nullable: true })
  decidedAt!: Date | null;
}
