// Baseline: the smallest NestJS 11 + Fastify app that does what an issue request needs before its
// strategy: a global guard verifying the caller's bearer token (@nestjs/jwt, HS256, the secret as a
// KeyObject), the app's security headers and an x-request-id from one onRequest hook, the coupon id
// through ParseIntPipe, and the app's own hint lookup (RedisIssueHints: one Lua script, on a client
// auto-pipelining as the app's does). Coupon 1 is sold out: a 409 problem thrown as an HttpException
// (the sold-out refusal). Any other coupon is accepted as the queue strategy does: a request id from
// the app's IssueRequestIds, one message published the app's way (kafkajs, idempotent, acks -1,
// combined while a send is in flight), then 202 with a Location. No logger, metrics, idempotency or
// config: the floor a Nest controller doing this work stands on.
import 'reflect-metadata';
import { createSecretKey, randomUUID } from 'node:crypto';
import {
  type CanActivate,
  ConflictException,
  Controller,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  Module,
  Param,
  ParseIntPipe,
  Post,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { FastifyReply } from 'fastify';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { RedisIssueHints } from '../../src/modules/coupon/issuance/issue-hints';
import { IssueRequestIds } from '../../src/modules/coupon/issuance/issue-request-id';
import { type AppConfig } from '../../src/platform/config/app-config';
import { fixKafkajsRequestQueue } from '../../src/platform/kafka/kafkajs-request-queue-fix';
import { CoalescedSend } from './coalesced-send';
import { serveNestBaseline } from './nest-baseline';

// The app's own hint lookup and request ids, on a Redis client with the app's auto-pipelining.
const redis = new Redis(process.env.REDIS_URL!, { keyPrefix: process.env.REDIS_KEY_PREFIX ?? '', enableAutoPipelining: true });
// Its own database identity keeps these hints apart from the app's; nothing to check them against.
const hints = new RedisIssueHints(redis, 'baseline', () => Promise.resolve(Number.MAX_SAFE_INTEGER));
const ids = new IssueRequestIds({ jwt: { secret: process.env.BASELINE_JWT_SECRET! } } as AppConfig);
fixKafkajsRequestQueue();
const kafka = process.env.BASELINE_KAFKA_BROKERS
  ? new Kafka({ clientId: 'bench-baseline', brokers: process.env.BASELINE_KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING })
  : undefined;
const producer = kafka?.producer({ idempotent: true, maxInFlightRequests: 5 });
const queue = producer ? new CoalescedSend(producer, process.env.BASELINE_TOPIC!) : undefined;
const jwt = new JwtService({
  secret: createSecretKey(Buffer.from(process.env.BASELINE_JWT_SECRET!)),
  verifyOptions: { algorithms: ['HS256'] },
});

@Injectable()
class BearerGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; userId?: number }>();
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    try {
      request.userId = Number(jwt.verify<{ sub: number | string }>(token ?? '').sub);
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}

const CurrentUserId = createParamDecorator((_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest().userId as number);

@Controller()
class IssueController {
  @Post('coupons/:id/issue')
  async issue(
    @CurrentUserId() userId: number,
    @Param('id', ParseIntPipe) id: number,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ requestId: string; status: 'PENDING' }> {
    const hint = await hints.lookup(id, userId);
    if (hint || !queue)
      throw new ConflictException({
        type: 'about:blank',
        title: 'Conflict',
        status: 409,
        code: hint ?? 'COUPON_SOLD_OUT',
        detail: 'This coupon has no copies left',
      });
    const requestId = ids.issue(id, userId);
    const requestedAt = new Date().toISOString();
    await queue.publish([
      {
        key: String(id),
        value: JSON.stringify({ requestId, couponId: id, userId, requestedAt }),
        headers: { 'event-id': randomUUID(), 'event-type': 'coupon.issue.requested', 'occurred-at': requestedAt },
      },
    ]);
    reply.status(202).header('Location', `/coupons/issue-requests/${requestId}`);
    return { requestId, status: 'PENDING' };
  }
}

@Module({ controllers: [IssueController], providers: [{ provide: APP_GUARD, useClass: BearerGuard }] })
class IssueModule {}

async function prepare(): Promise<void> {
  await hints.markSoldOut(1);
  if (!kafka || !producer) return;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: process.env.BASELINE_TOPIC!, numPartitions: 12 }], waitForLeaders: true });
  await admin.disconnect();
  await producer.connect();
}

serveNestBaseline(IssueModule, { appHeaders: true, before: prepare });
