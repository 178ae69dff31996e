import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { AppConfig } from '../../platform/config/app-config';
import { InjectAppConfig } from '../../platform/config/config.module';
import { TransactionRunner } from '../../platform/database/transaction-runner';
import { Coupon } from './entities/coupon.entities';

/** SEED_DEMO_DATA: two coupon campaigns in an empty coupons table. */
@Injectable()
export class DemoCoupons implements OnApplicationBootstrap {
  private readonly logger = new Logger('DemoCoupons');

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly transactions: TransactionRunner,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedDemoData) return;
    const coupons = this.txHost.tx.getRepository(Coupon);
    if ((await coupons.count()) > 0) return;
    const base = { issuedQuantity: 0, issueStartsAt: null, issueEndsAt: null, createdAt: new Date() };
    await this.transactions.run(() =>
      coupons.save([
        {
          ...base,
          name: 'Welcome 10%',
          discountType: 'PERCENT',
          discountValue: 10,
          totalQuantity: 1000,
          minOrderAmount: 10_000,
          maxDiscountAmount: 5_000,
          validDays: 30,
        },
        {
          ...base,
          name: 'Flash 3,000 won',
          discountType: 'FIXED',
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
