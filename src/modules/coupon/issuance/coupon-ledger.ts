import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { In } from 'typeorm';
import { isUniqueViolation } from '../../../platform/database/errors';
import { TransactionRunner } from '../../../platform/database/transaction-runner';
import { DomainError } from '../../../platform/http/problem-catalog';
import { Coupon, CouponIssueRequest, UserCoupon } from '../entities/coupon.entities';
import { decideBatch, type IssueRefusal } from './batch-decision';

const DAY_MS = 86_400_000;

export type IssueDecision = { userId: number; copy: UserCoupon } | { userId: number; refusal: IssueRefusal };

export interface QueuedRequest {
  requestId: string;
  userId: number;
}

/**
 * The database is the fence of every issuing strategy: `issued_quantity < total_quantity` is
 * checked by the UPDATE that increments it, and (coupon, user) is a unique key. A lock or a queue
 * only orders the callers; even if two run at once (a lost lock lease), the fence holds.
 */
@Injectable()
export class CouponLedger {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly transactions: TransactionRunner,
  ) {}

  /** How many copies were ever issued (copies are never deleted). */
  async countCopies(): Promise<number> {
    return this.txHost.tx.getRepository(UserCoupon).count();
  }

  /** Issues one copy in one short transaction, or throws COUPON_SOLD_OUT / COUPON_ALREADY_ISSUED. */
  async issueOne(coupon: Coupon, userId: number): Promise<UserCoupon> {
    return this.transactions.run(async () => {
      // Conditional increment: never more than the stock, whatever runs concurrently.
      const result = await this.txHost.tx
        .createQueryBuilder()
        .update(Coupon)
        .set({ issuedQuantity: () => 'issued_quantity + 1' })
        .where('id = :id AND issued_quantity < total_quantity', { id: coupon.id })
        .execute();
      if (!result.affected) {
        if (await this.holds(coupon.id, userId)) throw new DomainError('COUPON_ALREADY_ISSUED', 'You already have this coupon');
        throw new DomainError('COUPON_SOLD_OUT', `Coupon ${coupon.id} is sold out`);
      }
      try {
        return await this.insertCopy(coupon, userId);
      } catch (error) {
        // The unique (coupon, user) key refused a second copy; the increment rolls back with it.
        if (isUniqueViolation(error)) throw new DomainError('COUPON_ALREADY_ISSUED', 'You already have this coupon');
        throw error;
      }
    });
  }

  /**
   * Issues to several callers of one coupon in arrival order, in one transaction: up to the
   * remaining stock, at most one copy per user (a user twice in the batch is refused the second
   * time). The lock strategy combines the callers waiting on one instance into such a batch.
   */
  async issueBatch(coupon: Coupon, userIds: number[]): Promise<IssueDecision[]> {
    try {
      return await this.transactions.run(async () => {
        const current = await this.lockCoupon(coupon.id);
        if (!current) throw new DomainError('COUPON_NOT_FOUND', `Coupon ${coupon.id} does not exist`);
        return (await this.decide(current, userIds)).decisions;
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // A copy written meanwhile by a holder that outlived its lease: decide one by one, the fence refusing duplicates.
      const decisions: IssueDecision[] = [];
      for (const userId of userIds) {
        try {
          decisions.push({ userId, copy: await this.issueOne(coupon, userId) });
        } catch (refusal) {
          if (!(refusal instanceof DomainError) || (refusal.code !== 'COUPON_SOLD_OUT' && refusal.code !== 'COUPON_ALREADY_ISSUED'))
            throw refusal;
          decisions.push({ userId, refusal: refusal.code });
        }
      }
      return decisions;
    }
  }

  /**
   * Decides queued requests for one coupon in arrival order, in one transaction, and records every
   * outcome. Requests already decided, or unknown (their POST answered 503), are left as they are,
   * so redelivery changes nothing.
   */
  async decideQueued(couponId: number, requests: QueuedRequest[]): Promise<{ soldOut: boolean; issuedTo: number[] }> {
    return this.transactions.run(async () => {
      const requestRepo = this.txHost.tx.getRepository(CouponIssueRequest);
      const coupon = await this.lockCoupon(couponId);
      const pending = new Set(
        (
          await requestRepo.find({
            select: { requestId: true },
            where: { requestId: In(requests.map((r) => r.requestId)), status: 'PENDING' },
          })
        ).map((r) => r.requestId),
      );
      const toDecide = requests.filter((r) => pending.delete(r.requestId)); // a redelivered duplicate is decided once
      const now = new Date();
      if (!coupon) {
        if (toDecide.length > 0)
          await requestRepo.update(
            { requestId: In(toDecide.map((r) => r.requestId)) },
            { status: 'REJECTED', reason: 'COUPON_NOT_FOUND', decidedAt: now },
          );
        return { soldOut: false, issuedTo: [] };
      }
      const { decisions, soldOut } = await this.decide(
        coupon,
        toDecide.map((r) => r.userId),
      );
      const byOutcome = new Map<string, string[]>();
      decisions.forEach((decision, i) => {
        const outcome = 'copy' in decision ? 'ISSUED' : decision.refusal;
        const group = byOutcome.get(outcome);
        if (group) group.push(toDecide[i].requestId);
        else byOutcome.set(outcome, [toDecide[i].requestId]);
      });
      for (const [outcome, requestIds] of byOutcome) {
        const update = this.txHost.tx
          .createQueryBuilder()
          .update(CouponIssueRequest)
          .where({ requestId: In(requestIds) });
        if (outcome === 'ISSUED') {
          const copyOfRequest =
            '(SELECT uc.id FROM user_coupons uc WHERE uc.coupon_id = coupon_issue_requests.coupon_id AND uc.user_id = coupon_issue_requests.user_id)';
          await update.set({ status: 'ISSUED', reason: null, decidedAt: now, userCouponId: () => copyOfRequest }).execute();
        } else {
          await update.set({ status: 'REJECTED', reason: outcome, decidedAt: now }).execute();
        }
      }
      return { soldOut, issuedTo: decisions.flatMap((d) => ('copy' in d ? [d.userId] : [])) };
    });
  }

  /** Takes the coupon row lock (batches of one coupon never interleave) and reads the row. */
  private async lockCoupon(couponId: number): Promise<Coupon | null> {
    await this.txHost.tx
      .createQueryBuilder()
      .update(Coupon)
      .set({ issuedQuantity: () => 'issued_quantity' })
      .where('id = :couponId', { couponId })
      .execute();
    return this.txHost.tx.getRepository(Coupon).findOneBy({ id: couponId });
  }

  /** The batch decision inside the caller's transaction, with the coupon row locked: a few statements for the whole batch. */
  private async decide(coupon: Coupon, userIds: number[]): Promise<{ decisions: IssueDecision[]; soldOut: boolean }> {
    const holders = new Set(
      (
        await this.txHost.tx
          .getRepository(UserCoupon)
          .find({ select: { userId: true }, where: { couponId: coupon.id, userId: In(userIds) } })
      ).map((uc) => uc.userId),
    );
    const { decisions, winners, soldOut } = decideBatch(userIds, holders, coupon.totalQuantity - coupon.issuedQuantity);
    const copies = new Map<number, UserCoupon>();
    if (winners.length > 0) {
      const now = new Date();
      const expiresAt = new Date(now.getTime() + coupon.validDays * DAY_MS);
      await this.txHost.tx
        .createQueryBuilder()
        .insert()
        .into(UserCoupon)
        .values(
          winners.map((userId) => ({
            couponId: coupon.id,
            userId,
            status: 'AVAILABLE' as const,
            issuedAt: now,
            expiresAt,
            usedAt: null,
            orderId: null,
          })),
        )
        .updateEntity(false)
        .execute();
      // Read the ids back rather than trust consecutive auto-increments (not promised under interleaved lock mode).
      for (const copy of await this.txHost.tx.getRepository(UserCoupon).findBy({ couponId: coupon.id, userId: In(winners) }))
        copies.set(copy.userId, copy);
      // The same fence as issueOne, for the batch: the increment must fit the stock.
      const result = await this.txHost.tx
        .createQueryBuilder()
        .update(Coupon)
        .set({ issuedQuantity: () => `issued_quantity + ${winners.length}` })
        .where('id = :id AND issued_quantity + :n <= total_quantity', { id: coupon.id, n: winners.length })
        .execute();
      if (!result.affected) throw new Error(`coupon ${coupon.id}: a batch of ${winners.length} would exceed the stock`);
    }
    return {
      decisions: decisions.map((d) =>
        d.refusal ? { userId: d.userId, refusal: d.refusal } : { userId: d.userId, copy: copies.get(d.userId)! },
      ),
      soldOut,
    };
  }

  private async holds(couponId: number, userId: number): Promise<boolean> {
    return this.txHost.tx.getRepository(UserCoupon).existsBy({ couponId, userId });
  }

  private async insertCopy(coupon: Coupon, userId: number): Promise<UserCoupon> {
    const now = new Date();
    return this.txHost.tx.getRepository(UserCoupon).save({
      couponId: coupon.id,
      userId,
      status: 'AVAILABLE',
      issuedAt: now,
      expiresAt: new Date(now.getTime() + coupon.validDays * DAY_MS),
      usedAt: null,
      orderId: null,
    });
  }
}
