import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, runsBackgroundWork } from '../../platform/config/app-config';
import { InjectAppConfig } from '../../platform/config/config.module';
import { TransactionRunner } from '../../platform/database/transaction-runner';
import { CouponRepository } from './database/coupon.repository';

/** SEED_DEMO_DATA: two coupon campaigns in an empty coupons table (where background work runs, not in api replicas). */
@Injectable()
export class DemoCoupons implements OnApplicationBootstrap {
  private readonly logger = new Logger('DemoCoupons');

  constructor(
    private readonly coupons: CouponRepository,
    private readonly transactions: TransactionRunner,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedDemoData || !runsBackgroundWork(this.config)) return;
    if ((await this.coupons.count()) > 0) return;
    const base = { issueStartsAt: null, issueEndsAt: null };
    await this.transactions.run(() =>
      this.coupons.createMany([
        {
          ...base,
          name: 'Welcome 10%',
          discountType: 'PERCENT' as const,
          discountValue: 10,
          totalQuantity: 1000,
          minOrderAmount: 10_000,
          maxDiscountAmount: 5_000,
          validDays: 30,
        },
        {
          ...base,
          name: 'Flash 3,000 won',
          discountType: 'FIXED' as const,
          discountValue: 3_000,
          totalQuantity: 100,
          minOrderAmount: 20_000,
          maxDiscountAmount: null,
          validDays: 7,
        },
      ]),
    );
    this.logger.log('seeded 2 demo coupons');
  }
}
