import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser } from '../../platform/auth/authenticated-user';
import { Page } from '../../platform/database/cursor';
import { PageQuery, ParseIdPipe } from '../../platform/http/params';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { CreateOrderRequest, OrderPage, OrderResponse } from './dto/order.dto';
import { OrderService, OrderView } from './order.service';

@ApiTags('orders')
@ApiBearerAuth()
@Controller('orders')
export class OrderController {
  constructor(private readonly orders: OrderService) {}

  @Post()
  @Idempotent()
  @ApiCreatedResponse({ type: OrderResponse })
  @ApiNotFoundResponse({ description: 'PRODUCT_NOT_FOUND, COUPON_NOT_FOUND' })
  @ApiConflictResponse({ description: 'PRODUCT_NOT_ON_SALE, INSUFFICIENT_STOCK, COUPON_NOT_USABLE' })
  create(@CurrentUser() user: AuthenticatedUser, @Body() body: CreateOrderRequest): Promise<OrderView> {
    return this.orders.create(user.id, body.items, body.userCouponId);
  }

  @Get()
  @ApiOkResponse({ type: OrderPage })
  list(@CurrentUser() user: AuthenticatedUser, @Query() query: PageQuery): Promise<Page<OrderView>> {
    return this.orders.list(user.id, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: OrderResponse })
  @ApiNotFoundResponse({ description: 'ORDER_NOT_FOUND' })
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseIdPipe) id: number): Promise<OrderView> {
    return this.orders.get(user.id, id);
  }

  @Post(':id/pay')
  @HttpCode(200)
  @Idempotent()
  @ApiOkResponse({ type: OrderResponse })
  @ApiNotFoundResponse({ description: 'ORDER_NOT_FOUND' })
  @ApiConflictResponse({ description: 'INSUFFICIENT_STOCK, INSUFFICIENT_BALANCE, COUPON_NOT_USABLE, ORDER_NOT_PENDING, ORDER_EXPIRED' })
  pay(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseIdPipe) id: number): Promise<OrderView> {
    return this.orders.pay(user.id, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Idempotent()
  @ApiOkResponse({ type: OrderResponse })
  @ApiNotFoundResponse({ description: 'ORDER_NOT_FOUND' })
  @ApiConflictResponse({ description: 'ORDER_NOT_CANCELLABLE' })
  cancel(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseIdPipe) id: number): Promise<OrderView> {
    return this.orders.cancel(user.id, id);
  }
}
