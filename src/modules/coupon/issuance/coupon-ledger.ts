import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { In } from 'typeorm';
import { isUniqueViolation } from '../../../platform/database/errors';
import { TransactionRunner } from '../../../platform/database/transaction-runner';
import { DomainError } from '../../../platform/http/problem-catalog';
import { Coupon, CouponIssueRequest, UserCoupon } from '../entities/coupon.entities';

const DAY_MS = 86_400_000;

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
   * Decides queued requests for one coupon in arrival order, in one transaction: issues up to the
   * remaining stock, rejects the rest, records every outcome. Requests already decided, or unknown
   * (their POST answered 503), are left as they are, so redelivery changes nothing.
   */
  async decideQueued(couponId: number, requests: QueuedRequest[]): Promise<{ soldOut: boolean; issuedTo: number[] }> {
    return this.transactions.run(async () => {
      const requestRepo = this.txHost.tx.getRepository(CouponIssueRequest);
      // Take the coupon row lock first: batches of one coupon never interleave.
      await this.txHost.tx
        .createQueryBuilder()
        .update(Coupon)
        .set({ issuedQuantity: () => 'issued_quantity' })
        .where('id = :couponId', { couponId })
        .execute();
      const coupon = await this.txHost.tx.getRepository(Coupon).findOneBy({ id: couponId });
      const ids = requests.map((r) => r.requestId);
      const pending = new Set(
        (await requestRepo.find({ select: { requestId: true }, where: { requestId: In(ids), status: 'PENDING' } })).map((r) => r.requestId),
      );
      const now = new Date();
      if (!coupon) {
        if (pending.size > 0) await requestRepo.update({ requestId: In([...pending]) }, { status: 'REJECTED', reason: 'COUPON_NOT_FOUND', decidedAt: now });
        return { soldOut: false, issuedTo: [] };
      }
      const holders = new Set(
        (
          await this.txHost.tx
            .getRepository(UserCoupon)
            .find({ select: { userId: true }, where: { couponId, userId: In(requests.map((r) => r.userId)) } })
        ).map((uc) => uc.userId),
      );
      let remaining = coupon.totalQuantity - coupon.issuedQuantity;
      let issued = 0;
      const issuedTo: number[] = [];
      for (const request of requests) {
        if (!pending.has(request.requestId)) continue;
        pending.delete(request.requestId);
        let outcome: Partial<CouponIssueRequest>;
        if (holders.has(request.userId)) outcome = { status: 'REJECTED', reason: 'COUPON_ALREADY_ISSUED' };
        else if (remaining <= 0) outcome = { status: 'REJECTED', reason: 'COUPON_SOLD_OUT' };
        else {
          const copy = await this.insertCopy(coupon, request.userId);
          holders.add(request.userId);
          remaining--;
          issued++;
          issuedTo.push(request.userId);
          outcome = { status: 'ISSUED', reason: null, userCouponId: copy.id };
        }
        await requestRepo.update({ requestId: request.requestId }, { ...outcome, decidedAt: now });
      }
      if (issued > 0) {
        // The same fence as issueOne, for the batch: the increment must fit the stock.
        const result = await this.txHost.tx
          .createQueryBuilder()
          .update(Coupon)
          .set({ issuedQuantity: () => `issued_quantity + ${issued}` })
          .where('id = :couponId AND issued_quantity + :issued <= total_quantity', { couponId, issued })
          .execute();
        if (!result.affected) throw new Error(`coupon ${couponId}: batch of ${issued} would exceed the stock`);
      }
      return { soldOut: remaining <= 0, issuedTo };
    });
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
