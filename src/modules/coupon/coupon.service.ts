import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { FindOptionsWhere, LessThan, LessThanOrEqual, MoreThan } from 'typeorm';
import { decodeCursor, Page, pageOf } from '../../platform/database/cursor';
import { TransactionRunner } from '../../platform/database/transaction-runner';
import { DomainError } from '../../platform/http/problem-catalog';
import { CreateCouponRequest } from './dto/coupon.dto';
import { Coupon, CouponIssueRequest, UserCoupon } from './entities/coupon.entities';
import { CouponIssuer, IssueOutcome } from './issuance/coupon-issuer';
import { CouponIssueMetrics } from './issuance/coupon-issue-metrics';
import { IssueHints } from './issuance/issue-hints';

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

/** Coupon campaigns, a user's coupons, and the front of issuing (checks, hints, then the strategy). */
const MAX_CACHED_TERMS = 10_000;

@Injectable()
export class CouponService {
  private readonly terms = new Map<number, Coupon>();

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly transactions: TransactionRunner,
    private readonly issuer: CouponIssuer,
    private readonly hints: IssueHints,
    private readonly metrics: CouponIssueMetrics,
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
      this.txHost.tx.getRepository(Coupon).save({
        ...input,
        maxDiscountAmount: input.maxDiscountAmount ?? null,
        issuedQuantity: 0,
        issueStartsAt: input.issueStartsAt ? new Date(input.issueStartsAt) : null,
        issueEndsAt: input.issueEndsAt ? new Date(input.issueEndsAt) : null,
        createdAt: new Date(),
      }),
    );
    return toCouponView(coupon);
  }

  async get(id: number): Promise<CouponView> {
    return toCouponView(await this.load(id));
  }

  async issue(couponId: number, userId: number): Promise<IssueOutcome> {
    const strategy = this.issuer.strategy;
    const refuse = (error: DomainError): DomainError => {
      this.metrics.outcomes.inc({ strategy, outcome: error.code });
      return error;
    };
    const coupon = await this.issueTerms(couponId).catch((error: unknown) => {
      throw error instanceof DomainError ? refuse(error) : error;
    });
    const now = new Date();
    if ((coupon.issueStartsAt && now < coupon.issueStartsAt) || (coupon.issueEndsAt && now >= coupon.issueEndsAt)) {
      throw refuse(new DomainError('COUPON_NOT_IN_ISSUE_PERIOD', `Coupon ${couponId} is not being issued now`));
    }
    // Fast answers: no lock, no queue, when a hint already knows.
    const hint = await this.hints.lookup(couponId, userId);
    if (hint === 'COUPON_ALREADY_ISSUED') throw refuse(new DomainError(hint, 'You already have this coupon'));
    if (hint === 'COUPON_SOLD_OUT') throw refuse(new DomainError(hint, `Coupon ${couponId} is sold out`));
    try {
      const outcome = await this.issuer.issue(coupon, userId);
      if (outcome.kind === 'issued') await this.hints.addHolders(couponId, [userId]);
      this.metrics.outcomes.inc({ strategy, outcome: outcome.kind === 'issued' ? 'ISSUED' : 'QUEUED' });
      return outcome;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.code === 'COUPON_SOLD_OUT') await this.hints.markSoldOut(couponId);
      if (error.code === 'COUPON_ALREADY_ISSUED') await this.hints.addHolders(couponId, [userId]);
      throw refuse(error);
    }
  }

  async issueRequest(userId: number, requestId: string) {
    const request = await this.txHost.tx.getRepository(CouponIssueRequest).findOneBy({ requestId, userId });
    if (!request) throw new DomainError('ISSUE_REQUEST_NOT_FOUND', `Issue request ${requestId} does not exist`);
    const { couponId, status, reason, userCouponId } = request;
    return { requestId, couponId, status, reason, userCouponId };
  }

  /** The answer to an issue: the copy just written and the coupon's cached terms, without reading them back. */
  async issuedView(copy: UserCoupon) {
    return toUserCouponView(copy, await this.issueTerms(copy.couponId));
  }

  async myCoupons(
    userId: number,
    query: { status?: UserCouponStatusView; limit: number; cursor?: string },
  ): Promise<Page<ReturnType<typeof toUserCouponView>>> {
    const before = decodeCursor(query.cursor);
    const now = new Date();
    const where: FindOptionsWhere<UserCoupon> = { userId };
    if (before !== undefined) where.id = LessThan(before);
    if (query.status === 'USED') where.status = 'USED';
    if (query.status === 'AVAILABLE') Object.assign(where, { status: 'AVAILABLE', expiresAt: MoreThan(now) });
    if (query.status === 'EXPIRED') Object.assign(where, { status: 'AVAILABLE', expiresAt: LessThanOrEqual(now) });
    const rows = await this.txHost.tx.getRepository(UserCoupon).find({ where, order: { id: 'DESC' }, take: query.limit + 1 });
    const coupons = new Map<number, Coupon>();
    for (const id of new Set(rows.map((row) => row.couponId))) coupons.set(id, await this.load(id));
    return pageOf(rows, query.limit, (row) => toUserCouponView(row, coupons.get(row.couponId)!, now));
  }

  /**
   * A coupon's terms for issuing. Only `issued_quantity` ever changes after creation, and issuing
   * reads that from the database under the fence, so the terms are cached for the process's life.
   */
  private async issueTerms(id: number): Promise<Coupon> {
    const cached = this.terms.get(id);
    if (cached) return cached;
    const coupon = await this.load(id);
    if (this.terms.size >= MAX_CACHED_TERMS) this.terms.clear();
    this.terms.set(id, coupon);
    return coupon;
  }

  private async load(id: number): Promise<Coupon> {
    const coupon = await this.txHost.tx.getRepository(Coupon).findOneBy({ id });
    if (!coupon) throw new DomainError('COUPON_NOT_FOUND', `Coupon ${id} does not exist`);
    return coupon;
  }
}

function toCouponView(coupon: Coupon): CouponView {
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
