import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DomainError } from '../../platform/http/problem-catalog';
import { discountFor } from './discount';
import { Coupon, UserCoupon } from './entities/coupon.entities';

/** What checkout needs from the coupon module: quote a user's coupon for a total, and use it. */
@Injectable()
export class CouponWalletService {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /** The discount the user's coupon gives on `totalAmount`, or COUPON_NOT_FOUND / COUPON_NOT_USABLE. */
  async quote(userId: number, userCouponId: number, totalAmount: number): Promise<number> {
    const userCoupon = await this.txHost.tx.getRepository(UserCoupon).findOneBy({ id: userCouponId, userId });
    // Another user's coupon is answered like a missing one: its existence is not revealed.
    if (!userCoupon) throw new DomainError('COUPON_NOT_FOUND', `User coupon ${userCouponId} does not exist`);
    const coupon = await this.txHost.tx.getRepository(Coupon).findOneByOrFail({ id: userCoupon.couponId });
    if (userCoupon.status !== 'AVAILABLE') throw new DomainError('COUPON_NOT_USABLE', 'The coupon was already used');
    if (userCoupon.expiresAt <= new Date()) throw new DomainError('COUPON_NOT_USABLE', 'The coupon has expired');
    if (totalAmount < coupon.minOrderAmount) {
      throw new DomainError('COUPON_NOT_USABLE', `The coupon needs an order of at least ${coupon.minOrderAmount}`);
    }
    return discountFor(coupon, totalAmount);
  }

  /** Marks the coupon used by the order, inside the caller's transaction, or COUPON_NOT_USABLE. */
  async use(userId: number, userCouponId: number, orderId: number): Promise<void> {
    const now = new Date();
    // Conditional update: a coupon can be used once, by its owner, before it expires.
    const result = await this.txHost.tx
      .createQueryBuilder()
      .update(UserCoupon)
      .set({ status: 'USED', usedAt: now, orderId })
      .where("id = :userCouponId AND user_id = :userId AND status = 'AVAILABLE' AND expires_at > :now", { userCouponId, userId, now })
      .execute();
    if (!result.affected) throw new DomainError('COUPON_NOT_USABLE', 'The coupon is used, expired or not yours');
  }
}
