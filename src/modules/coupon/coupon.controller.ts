import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthenticatedUser, CurrentUser, Public } from '../../platform/auth/authenticated-user';
import { ParseIdPipe } from '../../platform/http/params';
import { Idempotent } from '../../platform/idempotency/idempotent.decorator';
import { CouponService } from './coupon.service';
import {
  CouponResponse,
  CreateCouponRequest,
  IssueAcceptedResponse,
  IssueRequestResponse,
  MyCouponsQuery,
  UserCouponPage,
  UserCouponResponse,
} from './dto/coupon.dto';

@ApiTags('coupons')
@Controller()
export class CouponController {
  constructor(private readonly coupons: CouponService) {}

  @Post('admin/coupons')
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: CouponResponse })
  create(@Body() body: CreateCouponRequest) {
    return this.coupons.create(body);
  }

  @Public()
  @Get('coupons/:id')
  @ApiOkResponse({ type: CouponResponse })
  @ApiNotFoundResponse({ description: 'COUPON_NOT_FOUND' })
  get(@Param('id', ParseIdPipe) id: number) {
    return this.coupons.get(id);
  }

  @Post('coupons/:id/issue')
  @Idempotent()
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: UserCouponResponse, description: 'lock strategy: issued' })
  @ApiAcceptedResponse({ type: IssueAcceptedResponse, description: 'queue strategy: queued; poll Location' })
  @ApiNotFoundResponse({ description: 'COUPON_NOT_FOUND' })
  @ApiConflictResponse({ description: 'COUPON_SOLD_OUT, COUPON_ALREADY_ISSUED, COUPON_NOT_IN_ISSUE_PERIOD' })
  @ApiServiceUnavailableResponse({ description: 'COUPON_BUSY (Retry-After), LOCK_UNAVAILABLE, QUEUE_UNAVAILABLE' })
  async issue(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseIdPipe) id: number,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const outcome = await this.coupons.issue(id, user.id);
    if (outcome.kind === 'queued') {
      reply.status(202).header('Location', `/coupons/issue-requests/${outcome.requestId}`);
      return { requestId: outcome.requestId, status: 'PENDING' as const };
    }
    reply.status(201);
    return this.coupons.issuedView(outcome.userCoupon);
  }

  @Get('coupons/issue-requests/:requestId')
  @ApiBearerAuth()
  @ApiOkResponse({ type: IssueRequestResponse })
  @ApiNotFoundResponse({ description: 'ISSUE_REQUEST_NOT_FOUND' })
  issueRequest(@CurrentUser() user: AuthenticatedUser, @Param('requestId', new ParseUUIDPipe()) requestId: string) {
    return this.coupons.issueRequest(user.id, requestId);
  }

  @Get('users/me/coupons')
  @ApiBearerAuth()
  @ApiOkResponse({ type: UserCouponPage })
  mine(@CurrentUser() user: AuthenticatedUser, @Query() query: MyCouponsQuery) {
    return this.coupons.myCoupons(user.id, query);
  }
}
