import { Injectable } from '@nestjs/common';
import { decodeCursor, Page, pageOf } from '../../platform/database/cursor';
import { TransactionRunner } from '../../platform/database/transaction-runner';
import { DomainError } from '../../platform/errors/domain-error';
import { CouponView, toCouponView, toUserCouponView, UserCouponStatusView, UserCouponView } from './coupon-views';
import { CouponRepository } from './database/coupon.repository';
import { UserCouponRepository } from './database/user-coupon.repository';
import { CreateCouponRequest } from './dto/coupon.dto';
import { issueRefusal } from './issuance/issue-rules';

/** Coupon campaigns and a user's coupons. Issuing is {@link CouponIssuance}'s. */
@Injectable()
export class CouponService {
  constructor(
    private readonly coupons: CouponRepository,
    private readonly copies: UserCouponRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  async create(input: CreateCouponRequest): Promise<CouponView> {
    if (input.discountType === 'PERCENT' && input.discountValue > 100) {
      throw new DomainError('VALIDATION_FAILED', 'A percentage is at most 100', {
        errors: [{ field: 'discountValue', message: 'must be at most 100 for PERCENT' }],
      });
    }
    if (input.issueStartsAt && input.issueEndsAt && new Date(input.issueEndsAt) <= new Date(input.issueStartsAt)) {
      throw new DomainError('VALIDATION_FAILED', 'The issue period ends before it starts', {
        errors: [{ field: 'issueEndsAt', message: 'must be after issueStartsAt' }],
      });
    }
    const coupon = await this.transactions.run(() =>
      this.coupons.create({
        ...input,
        maxDiscountAmount: input.maxDiscountAmount ?? null,
        issueStartsAt: input.issueStartsAt ? new Date(input.issueStartsAt) : null,
        issueEndsAt: input.issueEndsAt ? new Date(input.issueEndsAt) : null,
      }),
    );
    return toCouponView(coupon);
  }

  async get(id: number): Promise<CouponView> {
    const coupon = await this.coupons.findById(id);
    if (!coupon) throw issueRefusal('COUPON_NOT_FOUND', id);
    return toCouponView(coupon);
  }

  async myCoupons(userId: number, query: { status?: UserCouponStatusView; limit: number; cursor?: string }): Promise<Page<UserCouponView>> {
    const now = new Date();
    const rows = await this.copies.pageOfUser(userId, {
      status: query.status,
      beforeId: decodeCursor(query.cursor),
      limit: query.limit + 1,
      now,
    });
    // The page's campaigns in one read.
    const coupons = new Map((await this.coupons.findByIds([...new Set(rows.map((row) => row.couponId))])).map((c) => [c.id, c]));
    return pageOf(rows, query.limit, (row) => toUserCouponView(row, coupons.get(row.couponId)!, now));
  }
}
