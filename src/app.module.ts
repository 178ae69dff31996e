import { DynamicModule, Module } from '@nestjs/common';
import { CouponModule } from './modules/coupon/coupon.module';
import { OrderModule } from './modules/order/order.module';
import { PointModule } from './modules/point/point.module';
import { ProductModule } from './modules/product/product.module';
import { UserModule } from './modules/user/user.module';
import { AppConfig } from './platform/config/app-config';
import { AppConfigModule } from './platform/config/config.module';
import { AuthModule } from './platform/auth/auth.module';
import { CacheModule } from './platform/cache/cache.module';
import { DatabaseModule } from './platform/database/database.module';
import { HealthModule } from './platform/health/health.module';
import { IdempotencyModule } from './platform/idempotency/idempotency.module';
import { InfrastructureModule } from './platform/infrastructure/infrastructure.module';
import { ObservabilityModule } from './platform/observability/observability.module';
import { OutboxModule } from './platform/outbox/outbox.module';
import { APP_SCHEMA } from './schema';

/** Wires the platform for the configured profile, then the business modules. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        ObservabilityModule,
        CacheModule,
        DatabaseModule.forRoot(config, APP_SCHEMA.migrations),
        InfrastructureModule.forRoot(config),
        AuthModule,
        OutboxModule,
        IdempotencyModule,
        HealthModule,
        UserModule,
        ProductModule,
        PointModule,
        OrderModule,
        CouponModule,
      ],
    };
  }
}
