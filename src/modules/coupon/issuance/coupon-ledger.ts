import { Injectable } from '@nestjs/common';
import { isUniqueViolation } from '../../../platform/database/errors';
import { TransactionRunner } from '../../../platform/database/transaction-runner';
import { CouponRepository } from '../database/coupon.repository';
import { IssueRequestRepository } from '../database/issue-request.repository';
import { UserCouponRepository } from '../database/user-coupon.repository';
import { Coupon, CouponIssueRequest, UserCoupon } from '../entities/coupon.entities';
import { decideBatch, type IssueRefusal } from './batch-decision';
import type { IssueRequestedEvent } from '../contracts/issue-requested';
import { copyExpiresAt, issueRefusal } from './issue-rules';

export type IssueDecision = { userId: number; copy: UserCoupon } | { userId: number; refusal: IssueRefusal };

/**
 * The database is the fence of every issuing strategy: `issued_quantity + n <= total_quantity` is
 * checked by the UPDATE that increments it, and (coupon, user) is a unique key. A lock or a queue
 * only orders the callers; even if two run at once (a lost lock lease), the fence holds. Every
 * copy is written by {@link decide}, for a batch of callers of one coupon under its row lock.
 */
@Injectable()
export class CouponLedger {
  constructor(
    private readonly coupons: CouponRepository,
    private readonly copies: UserCouponRepository,
    private readonly requests: IssueRequestRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Issues to several callers of one coupon in arrival order, in one transaction: up to the
   * remaining stock, at most one copy per user (a user twice in the batch is refused the second
   * time). The lock strategy combines the callers waiting on one instance into such a batch.
   */
  async issueBatch(couponId: number, userIds: number[]): Promise<IssueDecision[]> {
    try {
      return await this.issueLocked(couponId, userIds);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // A copy the batch did not see (it cannot, under the row lock; kept as a fence): one by one, so only its holder is refused.
      const decisions: IssueDecision[] = [];
      for (const userId of userIds) {
        decisions.push(
          ...(await this.issueLocked(couponId, [userId]).catch((refused: unknown) => {
            if (!isUniqueViolation(refused)) throw refused;
            return [{ userId, refusal: 'COUPON_ALREADY_ISSUED' as const }];
          })),
        );
      }
      return decisions;
    }
  }

  /**
   * Decides queued requests for one coupon in arrival order, in one transaction, and records every
   * outcome. A request already recorded (decided, or withdrawn because its POST answered 503) is
   * left as it is, so redelivery changes nothing: each request is decided exactly once.
   */
  async decideQueued(couponId: number, requests: IssueRequestedEvent[]): Promise<{ soldOut: boolean; issuedTo: number[] }> {
    return this.transactions.run(async () => {
      const coupon = await this.coupons.lockForIssue(couponId);
      const recorded = await this.requests.statusesOf(requests.map((r) => r.requestId));
      const toDecide: IssueRequestedEvent[] = [];
      const legacyPending: string[] = [];
      for (const request of requests) {
        const status = recorded.get(request.requestId);
        if (status === undefined || status === 'PENDING') toDecide.push(request);
        if (status === 'PENDING') legacyPending.push(request.requestId);
        recorded.set(request.requestId, 'ISSUED'); // a duplicate within the batch is decided once
      }
      const decidedAt = new Date();
      const record = (request: IssueRequestedEvent, outcome: Pick<CouponIssueRequest, 'status' | 'reason' | 'userCouponId'>) => ({
        requestId: request.requestId,
        couponId,
        userId: request.userId,
        requestedAt: new Date(request.requestedAt),
        decidedAt,
        ...outcome,
      });
      if (!coupon) {
        const rejected = toDecide.map((r) => record(r, { status: 'REJECTED', reason: 'COUPON_NOT_FOUND', userCouponId: null }));
        await this.requests.recordDecided(rejected, legacyPending);
        return { soldOut: false, issuedTo: [] };
      }
      const { decisions, soldOut } = await this.decide(
        coupon,
        toDecide.map((r) => r.userId),
      );
      await this.requests.recordDecided(
        decisions.map((decision, i) =>
          'copy' in decision
            ? record(toDecide[i], { status: 'ISSUED', reason: null, userCouponId: decision.copy.id })
            : record(toDecide[i], { status: 'REJECTED', reason: decision.refusal, userCouponId: null }),
        ),
        legacyPending,
      );
      return { soldOut, issuedTo: decisions.flatMap((d) => ('copy' in d ? [d.userId] : [])) };
    });
  }

  private issueLocked(couponId: number, userIds: number[]): Promise<IssueDecision[]> {
    return this.transactions.run(async () => {
      const coupon = await this.coupons.lockForIssue(couponId);
      if (!coupon) throw issueRefusal('COUPON_NOT_FOUND', couponId);
      return (await this.decide(coupon, userIds)).decisions;
    });
  }

  /** The batch decision inside the caller's transaction, with the coupon row locked: a few statements for the whole batch. */
  private async decide(coupon: Coupon, userIds: number[]): Promise<{ decisions: IssueDecision[]; soldOut: boolean }> {
    const holders = await this.copies.holdersAmong(coupon.id, userIds);
    const { decisions, winners, soldOut } = decideBatch(userIds, holders, coupon.totalQuantity - coupon.issuedQuantity);
    const issuedAt = new Date();
    const expiresAt = copyExpiresAt(coupon, issuedAt);
    const written = await this.copies.insertCopies(winners.map((userId) => ({ couponId: coupon.id, userId, issuedAt, expiresAt })));
    // The same fence for the batch as a whole: the increment must fit the stock.
    if (winners.length > 0 && !(await this.coupons.addIssued(coupon.id, winners.length)))
      throw new Error(`coupon ${coupon.id}: a batch of ${winners.length} would exceed the stock`);
    const copies = new Map(written.map((copy) => [copy.userId, copy]));
    return {
      decisions: decisions.map((d) =>
        d.refusal ? { userId: d.userId, refusal: d.refusal } : { userId: d.userId, copy: copies.get(d.userId)! },
      ),
      soldOut,
    };
  }
}
