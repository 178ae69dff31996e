import { Module } from '@nestjs/common';

/** Coupon module: filled in by its own issue. */
@Module({})
export class CouponModule {}
