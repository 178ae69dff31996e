import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../../platform/http/api-contract';
import { AuthenticatedUser, CurrentUser } from '../../platform/auth/authenticated-user';
import { Page } from '../../platform/database/cursor';
import { sendAnswer } from '../../platform/idempotency/answer';
import { IdempotencyKey, type IdempotentRequest } from '../../platform/idempotency/idempotent-request';
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
  @ApiEndpoint({
    operationId: 'chargePoints',
    summary: "Add points to the caller's balance",
    problems: ['INVALID_CHARGE_AMOUNT', 'BALANCE_LIMIT_EXCEEDED'],
  })
  @ApiOkResponse({ type: BalanceResponse, description: 'The balance after the charge' })
  async charge(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ChargeRequest,
    @IdempotencyKey() key: IdempotentRequest | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return sendAnswer(reply, await this.points.charge(user.id, body.amount, key));
  }

  @Get('history')
  @ApiEndpoint({ operationId: 'listPointHistory', summary: "Every change of the caller's balance, newest first, by cursor" })
  @ApiOkResponse({ type: PointHistoryPage, description: 'One page; `nextCursor` is null on the last' })
  history(@CurrentUser() user: AuthenticatedUser, @Query() query: PageQuery): Promise<Page<PointHistoryView>> {
    return this.points.history(user.id, query);
  }
}
