import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CouponWalletService } from './coupon-wallet.service';
import { DemoCoupons } from './demo-coupons';
import { Coupon, UserCoupon } from './entities/coupon.entities';

/** Coupons: checkout's wallet now; issuance (lock / queue strategies) comes with its own issue. */
@Module({
  imports: [TypeOrmModule.forFeature([Coupon, UserCoupon])],
  providers: [CouponWalletService, DemoCoupons],
  exports: [CouponWalletService],
})
export class CouponModule {}
