import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { APP_CONFIG } from '../../platform/config/config.module';
import { AppConfig } from '../../platform/config/app-config';
import { DatabaseIdentity } from '../../platform/database/database-identity';
import { redisOrMemory } from '../../platform/infrastructure/redis-or-memory';
import { CouponWalletService } from './coupon-wallet.service';
import { AdminCouponController, CouponController } from './coupon.controller';
import { CouponService } from './coupon.service';
import { CouponRepository } from './database/coupon.repository';
import { IssueRequestRepository } from './database/issue-request.repository';
import { UserCouponRepository } from './database/user-coupon.repository';
import { DemoCoupons } from './demo-coupons';
import { COUPON_SCHEMA } from './coupon-schema';
import { CouponIssuance } from './issuance/coupon-issuance';
import { CouponIssueMetrics } from './issuance/coupon-issue-metrics';
import { CouponIssuer } from './issuance/coupon-issuer';
import { CouponLedger } from './issuance/coupon-ledger';
import { CouponTopics } from './issuance/coupon-topics';
import { InMemoryIssueHints, IssueHints, RedisIssueHints } from './issuance/issue-hints';
import { IssueRequestIds } from './issuance/issue-request-id';
import { IssueRequestConsumer } from './issuance/issue-request.consumer';
import { LockCouponIssuer } from './issuance/lock-coupon-issuer';
import { QueueCouponIssuer } from './issuance/queue-coupon-issuer';
// Its problem codes join the one catalogue as the module loads.
import './coupon-errors';

@Module({
  imports: [TypeOrmModule.forFeature(COUPON_SCHEMA.entities)],
  // IssueRequestConsumer: @EventPattern handlers, served by the MessageBusTransport (bootstrap.ts).
  controllers: [CouponController, AdminCouponController, IssueRequestConsumer],
  providers: [
    CouponRepository,
    UserCouponRepository,
    IssueRequestRepository,
    CouponWalletService,
    CouponService,
    CouponIssuance,
    CouponLedger,
    CouponTopics,
    CouponIssueMetrics,
    DemoCoupons,
    IssueRequestIds,
    LockCouponIssuer,
    QueueCouponIssuer,
    {
      // COUPON_ISSUE_STRATEGY picks the strategy here and nowhere else.
      provide: CouponIssuer,
      inject: [APP_CONFIG, LockCouponIssuer, QueueCouponIssuer],
      useFactory: (config: AppConfig, lock: LockCouponIssuer, queue: QueueCouponIssuer) =>
        config.coupon.issueStrategy === 'queue' ? queue : lock,
    },
    redisOrMemory<IssueHints, [DatabaseIdentity, UserCouponRepository]>(IssueHints, {
      inject: [DatabaseIdentity, UserCouponRepository],
      redis: (redis: Redis, identity, copies) => new RedisIssueHints(redis, identity.id, () => copies.countAll()),
      memory: () => new InMemoryIssueHints(),
    }),
  ],
  exports: [CouponWalletService],
})
export class CouponModule {}
