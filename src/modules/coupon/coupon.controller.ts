import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiEndpoint } from '../../platform/http/api-contract';
import type { FastifyReply } from 'fastify';
import { AuthenticatedUser, CurrentUser, Public, Roles } from '../../platform/auth/authenticated-user';
import { ParseIdPipe } from '../../platform/http/params';
import { sendAnswer } from '../../platform/idempotency/answer';
import { IdempotencyKey, type IdempotentRequest } from '../../platform/idempotency/idempotent-request';
import { CouponService } from './coupon.service';
import { CouponIssuance } from './issuance/coupon-issuance';
import { ParseIssueRequestIdPipe } from './issuance/issue-request-id';
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
  constructor(
    private readonly coupons: CouponService,
    private readonly issuance: CouponIssuance,
  ) {}

  @Public()
  @Get('coupons/:id')
  @ApiEndpoint({ operationId: 'getCoupon', summary: 'A coupon campaign and how many copies remain', problems: ['COUPON_NOT_FOUND'] })
  @ApiOkResponse({ type: CouponResponse, description: 'The campaign' })
  get(@Param('id', ParseIdPipe) id: number) {
    return this.coupons.get(id);
  }

  @Post('coupons/:id/issue')
  @ApiEndpoint({
    operationId: 'issueCoupon',
    summary: 'Ask for a copy of a first-come coupon',
    description:
      'Lock strategy: decided now, 201 with the copy. Queue strategy: 202 with a request id; poll `Location` ' +
      '(GET /coupons/issue-requests/{requestId}) until it is ISSUED or REJECTED. Never more than the stock, never two per user.',
    problems: [
      'COUPON_NOT_FOUND',
      'COUPON_SOLD_OUT',
      'COUPON_ALREADY_ISSUED',
      'COUPON_NOT_IN_ISSUE_PERIOD',
      'COUPON_BUSY',
      'LOCK_UNAVAILABLE',
      'QUEUE_UNAVAILABLE',
    ],
  })
  @ApiCreatedResponse({ type: UserCouponResponse, description: 'Lock strategy: the copy issued' })
  @ApiAcceptedResponse({
    type: IssueAcceptedResponse,
    description: 'Queue strategy: durably accepted, will be decided exactly once',
    headers: { Location: { description: 'The status of this request', schema: { type: 'string' } } },
  })
  async issue(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseIdPipe) id: number,
    @IdempotencyKey() key: IdempotentRequest | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const answer = await this.issuance.issue(id, user.id, key);
    if (!answer.replayed && 'requestId' in answer.body) reply.header('Location', `/coupons/issue-requests/${answer.body.requestId}`);
    return sendAnswer(reply, answer);
  }

  @Get('coupons/issue-requests/:requestId')
  @ApiEndpoint({ operationId: 'getIssueRequest', summary: 'The status of a queued issue request', problems: ['ISSUE_REQUEST_NOT_FOUND'] })
  @ApiParam({ name: 'requestId', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{36}$' }, description: 'From the 202 of the issue' })
  @ApiOkResponse({
    type: IssueRequestResponse,
    description:
      'PENDING (accepted, not decided yet), ISSUED (with the copy) or REJECTED (with the reason). ' +
      'Never 404 for a request that was answered 202.',
  })
  issueRequest(@CurrentUser() user: AuthenticatedUser, @Param('requestId', ParseIssueRequestIdPipe) requestId: string) {
    return this.issuance.requestStatus(user.id, requestId);
  }

  @Get('users/me/coupons')
  @ApiEndpoint({ operationId: 'listMyCoupons', summary: "The caller's coupons, newest first, by cursor" })
  @ApiOkResponse({ type: UserCouponPage, description: 'One page; `nextCursor` is null on the last' })
  mine(@CurrentUser() user: AuthenticatedUser, @Query() query: MyCouponsQuery) {
    return this.coupons.myCoupons(user.id, query);
  }
}

@ApiTags('admin')
@Roles('admin')
@Controller('admin/coupons')
export class AdminCouponController {
  constructor(private readonly coupons: CouponService) {}

  @Post()
  @ApiEndpoint({ operationId: 'createCoupon', summary: 'Start a coupon campaign with a fixed stock', problems: ['VALIDATION_FAILED'] })
  @ApiCreatedResponse({ type: CouponResponse, description: 'The new campaign' })
  create(@Body() body: CreateCouponRequest) {
    return this.coupons.create(body);
  }
}
