import { Injectable } from '@nestjs/common';
import { DomainError } from '../../platform/errors/domain-error';
import { CouponRepository } from './database/coupon.repository';
import { UserCouponRepository } from './database/user-coupon.repository';
import { discountFor } from './discount';

/** What checkout needs from the coupon module: quote a user's coupon for a total, use it, and give it back. */
@Injectable()
export class CouponWalletService {
  constructor(
    private readonly coupons: CouponRepository,
    private readonly copies: UserCouponRepository,
  ) {}

  /** The discount the user's coupon gives on `totalAmount`, or COUPON_NOT_FOUND / COUPON_NOT_USABLE. */
  async quote(userId: number, userCouponId: number, totalAmount: number): Promise<number> {
    const userCoupon = await this.copies.findOwned(userCouponId, userId);
    // Another user's coupon is answered like a missing one: its existence is not revealed.
    if (!userCoupon) throw new DomainError('COUPON_NOT_FOUND', `User coupon ${userCouponId} does not exist`);
    const coupon = await this.coupons.findById(userCoupon.couponId);
    if (!coupon) throw new Error(`user coupon ${userCouponId} refers to a missing coupon ${userCoupon.couponId}`);
    if (userCoupon.status !== 'AVAILABLE') throw new DomainError('COUPON_NOT_USABLE', 'The coupon was already used');
    if (userCoupon.expiresAt <= new Date()) throw new DomainError('COUPON_NOT_USABLE', 'The coupon has expired');
    if (totalAmount < coupon.minOrderAmount) {
      throw new DomainError('COUPON_NOT_USABLE', `The coupon needs an order of at least ${coupon.minOrderAmount}`);
    }
    return discountFor(coupon, totalAmount);
  }

  /** Marks the coupon used by the order, inside the caller's transaction, or COUPON_NOT_USABLE. */
  async use(userId: number, userCouponId: number, orderId: number): Promise<void> {
    if (!(await this.copies.markUsed(userCouponId, userId, orderId, new Date())))
      throw new DomainError('COUPON_NOT_USABLE', 'The coupon is used, expired or not yours');
  }

  /**
   * Gives back the coupon a cancelled order used, inside the caller's transaction, unless it has
   * expired (it then stays used). True when it is usable again.
   */
  async giveBack(userId: number, userCouponId: number, orderId: number): Promise<boolean> {
    return this.copies.markUnused(userCouponId, userId, orderId, new Date());
  }
}
