import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CouponModule } from '../coupon/coupon.module';
import { PointModule } from '../point/point.module';
import { ProductModule } from '../product/product.module';
import { ORDER_SCHEMA } from './order-schema';
import { OrderController } from './order.controller';
import { OrderRepository } from './order.repository';
import { OrderService } from './order.service';
import { OrderTopics } from './order-topics';
import { PendingOrderSweeper } from './pending-order-sweeper';
// Its problem codes join the one catalogue as the module loads.
import './order-errors';

@Module({
  imports: [TypeOrmModule.forFeature(ORDER_SCHEMA.entities), ProductModule, PointModule, CouponModule],
  controllers: [OrderController],
  providers: [OrderRepository, OrderService, PendingOrderSweeper, OrderTopics],
  exports: [OrderService],
})
export class OrderModule {}
