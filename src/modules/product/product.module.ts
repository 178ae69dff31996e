import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG } from '../../platform/config/config.module';
import { AppConfig } from '../../platform/config/app-config';
import { redisOrMemory } from '../../platform/infrastructure/redis-or-memory';
import { DemoProducts } from './demo-products';
import { PRODUCT_SCHEMA } from './product-schema';
import { AdminProductController, ProductController } from './product.controller';
import { ProductReadCache } from './product-read-cache';
import { ProductRepository } from './product.repository';
import { ProductService } from './product.service';
import { InMemoryTopSellersStore } from './top-sellers/in-memory-top-sellers.store';
import { RedisTopSellersStore } from './top-sellers/redis-top-sellers.store';
import { TopSellersConsumer } from './top-sellers/top-sellers.consumer';
import { TopSellersService } from './top-sellers/top-sellers.service';
import { TopSellersStore } from './top-sellers/top-sellers.store';
// Its problem codes join the one catalogue as the module loads.
import './product-errors';

@Module({
  imports: [TypeOrmModule.forFeature(PRODUCT_SCHEMA.entities)],
  // TopSellersConsumer: @EventPattern handlers, served by the MessageBusTransport (bootstrap.ts).
  controllers: [ProductController, AdminProductController, TopSellersConsumer],
  providers: [
    ProductRepository,
    ProductReadCache,
    ProductService,
    DemoProducts,
    TopSellersService,
    redisOrMemory<TopSellersStore, [AppConfig]>(TopSellersStore, {
      inject: [APP_CONFIG],
      redis: (redis, config: AppConfig) => new RedisTopSellersStore(redis, config),
      memory: () => new InMemoryTopSellersStore(),
    }),
  ],
  exports: [ProductService],
})
export class ProductModule {}
