import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../../platform/http/api-contract';
import { AuthenticatedUser, CurrentUser } from '../../platform/auth/authenticated-user';
import { Page } from '../../platform/database/cursor';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { PageQuery } from '../../platform/http/params';
import { BalanceResponse, ChargeRequest, PointHistoryPage } from './dto/point.dto';
import { BalanceView, PointHistoryView, PointService } from './point.service';

@ApiTags('points')
@Controller('points')
export class PointController {
  constructor(private readonly points: PointService) {}

  @Get()
  @ApiEndpoint({ operationId: 'getBalance', summary: "The caller's point balance" })
  @ApiOkResponse({ type: BalanceResponse, description: 'The balance' })
  balance(@CurrentUser() user: AuthenticatedUser): Promise<BalanceView> {
    return this.points.balanceOf(user.id);
  }

  @Post('charge')
  @HttpCode(200)
  @Idempotent()
  @ApiEndpoint({
    operationId: 'chargePoints',
    summary: "Add points to the caller's balance",
    problems: ['INVALID_CHARGE_AMOUNT', 'BALANCE_LIMIT_EXCEEDED'],
  })
  @ApiOkResponse({ type: BalanceResponse, description: 'The balance after the charge' })
  charge(@CurrentUser() user: AuthenticatedUser, @Body() body: ChargeRequest): Promise<BalanceView> {
    return this.points.charge(user.id, body.amount);
  }

  @Get('history')
  @ApiEndpoint({ operationId: 'listPointHistory', summary: "Every change of the caller's balance, newest first, by cursor" })
  @ApiOkResponse({ type: PointHistoryPage, description: 'One page; `nextCursor` is null on the last' })
  history(@CurrentUser() user: AuthenticatedUser, @Query() query: PageQuery): Promise<Page<PointHistoryView>> {
    return this.points.history(user.id, query);
  }
}
