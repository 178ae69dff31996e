import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthenticatedUser, CurrentUser } from '../../platform/auth/authenticated-user';
import { Page } from '../../platform/database/cursor';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { PageQuery } from '../../platform/http/params';
import { BalanceResponse, ChargeRequest, PointHistoryPage } from './dto/point.dto';
import { BalanceView, PointHistoryView, PointService } from './point.service';

@ApiTags('points')
@ApiBearerAuth()
@Controller('points')
export class PointController {
  constructor(private readonly points: PointService) {}

  @Get()
  @ApiOkResponse({ type: BalanceResponse })
  balance(@CurrentUser() user: AuthenticatedUser): Promise<BalanceView> {
    return this.points.balanceOf(user.id);
  }

  @Post('charge')
  @HttpCode(200)
  @Idempotent()
  @ApiOkResponse({ type: BalanceResponse })
  @ApiConflictResponse({ description: 'BALANCE_LIMIT_EXCEEDED' })
  charge(@CurrentUser() user: AuthenticatedUser, @Body() body: ChargeRequest): Promise<BalanceView> {
    return this.points.charge(user.id, body.amount);
  }

  @Get('history')
  @ApiOkResponse({ type: PointHistoryPage })
  history(@CurrentUser() user: AuthenticatedUser, @Query() query: PageQuery): Promise<Page<PointHistoryView>> {
    return this.points.history(user.id, query);
  }
}
