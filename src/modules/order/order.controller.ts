import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../../platform/http/api-contract';
import { AuthenticatedUser, CurrentUser } from '../../platform/auth/authenticated-user';
import { Page } from '../../platform/database/cursor';
import { PageQuery, ParseIdPipe } from '../../platform/http/params';
import { sendAnswer } from '../../platform/idempotency/answer';
import { IdempotencyKey, type IdempotentRequest } from '../../platform/idempotency/idempotent-request';
import { CreateOrderRequest, OrderPage, OrderResponse } from './dto/order.dto';
import { OrderService, OrderView } from './order.service';

@ApiTags('orders')
@Controller('orders')
export class OrderController {
  constructor(private readonly orders: OrderService) {}

  @Post()
  @ApiEndpoint({
    operationId: 'createOrder',
    summary: "Create a PENDING order at today's prices",
    description: 'Prices and the coupon discount are captured now; nothing is taken until the order is paid.',
    problems: ['PRODUCT_NOT_FOUND', 'COUPON_NOT_FOUND', 'PRODUCT_NOT_ON_SALE', 'INSUFFICIENT_STOCK', 'COUPON_NOT_USABLE'],
  })
  @ApiCreatedResponse({ type: OrderResponse, description: 'The PENDING order' })
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: CreateOrderRequest,
    @IdempotencyKey() key: IdempotentRequest | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return sendAnswer(reply, await this.orders.create(user.id, body.items, body.userCouponId, key));
  }

  @Get()
  @ApiEndpoint({ operationId: 'listOrders', summary: "The caller's orders, newest first, by cursor" })
  @ApiOkResponse({ type: OrderPage, description: 'One page; `nextCursor` is null on the last' })
  list(@CurrentUser() user: AuthenticatedUser, @Query() query: PageQuery): Promise<Page<OrderView>> {
    return this.orders.list(user.id, query);
  }

  @Get(':id')
  @ApiEndpoint({ operationId: 'getOrder', summary: "One of the caller's orders", problems: ['ORDER_NOT_FOUND'] })
  @ApiOkResponse({ type: OrderResponse, description: 'The order' })
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseIdPipe) id: number): Promise<OrderView> {
    return this.orders.get(user.id, id);
  }

  @Post(':id/pay')
  @HttpCode(200)
  @ApiEndpoint({
    operationId: 'payOrder',
    summary: 'Pay a PENDING order with points',
    description: 'Takes stock, points and the coupon in one transaction and records `order.completed` for Kafka in the same one.',
    problems: ['ORDER_NOT_FOUND', 'INSUFFICIENT_STOCK', 'INSUFFICIENT_BALANCE', 'COUPON_NOT_USABLE', 'ORDER_NOT_PENDING', 'ORDER_EXPIRED'],
  })
  @ApiOkResponse({ type: OrderResponse, description: 'The PAID order' })
  async pay(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseIdPipe) id: number,
    @IdempotencyKey() key: IdempotentRequest | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return sendAnswer(reply, await this.orders.pay(user.id, id, key));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiEndpoint({
    operationId: 'cancelOrder',
    summary: 'Cancel an order; a PAID one is refunded and its coupon returned',
    description:
      'A PAID order gets its stock and points back, and its coupon unless the coupon has expired meanwhile (an expired one stays used); ' +
      '`order.cancelled` is recorded in the same transaction. A PENDING order took nothing, so nothing is returned.',
    problems: ['ORDER_NOT_FOUND', 'ORDER_NOT_CANCELLABLE'],
  })
  @ApiOkResponse({ type: OrderResponse, description: 'The CANCELLED order' })
  async cancel(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseIdPipe) id: number,
    @IdempotencyKey() key: IdempotentRequest | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return sendAnswer(reply, await this.orders.cancel(user.id, id, key));
  }
}
