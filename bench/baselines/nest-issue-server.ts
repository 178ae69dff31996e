// Baseline: the smallest NestJS 11 + Fastify app that does what an issue request needs before its
// strategy: a global guard verifying the caller's bearer token (@nestjs/jwt, HS256, the secret as a
// KeyObject), the app's security headers and an x-request-id from one onRequest hook, the coupon id
// through ParseIntPipe, the app's one-command hint lookup (the same Lua script, auto-pipelined).
// Coupon 1 is sold out: a 409 problem thrown as an HttpException (the sold-out refusal). Any other
// coupon is accepted as the queue strategy does: a signed request id, one message published the
// app's way (kafkajs, idempotent, acks -1, combined while a send is in flight), then 202 with a
// Location. No logger, metrics, idempotency or config: the floor a Nest controller doing this work
// stands on.
import 'reflect-metadata';
import { createHmac, createSecretKey, randomUUID } from 'node:crypto';
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
import { fixKafkajsRequestQueue } from '../../src/platform/kafka/kafkajs-request-queue-fix';
import { CoalescedSend } from './coalesced-send';
import { serveNestBaseline } from './nest-baseline';

// The app's lookup (src/modules/coupon/issuance/issue-hints.ts): holder first, then sold out.
const LOOKUP = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
return 0`;

const prefix = `${process.env.REDIS_KEY_PREFIX ?? ''}baseline:hints:`;
const redis = new Redis(process.env.REDIS_URL!) as Redis & {
  lookupHint(holders: string, soldOut: string, userId: string): Promise<number>;
};
redis.defineCommand('lookupHint', { numberOfKeys: 2, lua: LOOKUP });
const idKey = createSecretKey(Buffer.from(process.env.BASELINE_JWT_SECRET!));
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
    const hint = await redis.lookupHint(`${prefix}${id}:holders`, `${prefix}${id}:sold-out`, String(userId));
    if (hint !== 0 || !queue)
      throw new ConflictException({
        type: 'about:blank',
        title: 'Conflict',
        status: 409,
        code: hint === 2 ? 'COUPON_SOLD_OUT' : 'COUPON_ALREADY_ISSUED',
        detail: 'This coupon has no copies left',
      });
    // A request id the status endpoint could recognise without a row, as the app's is.
    const nonce = randomUUID();
    const requestId = `${nonce}.${createHmac('sha256', idKey).update(`${nonce}:${id}:${userId}`).digest('base64url').slice(0, 16)}`;
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
  await redis.set(`${prefix}1:sold-out`, '1');
  if (!kafka || !producer) return;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: process.env.BASELINE_TOPIC!, numPartitions: 12 }], waitForLeaders: true });
  await admin.disconnect();
  await producer.connect();
}

serveNestBaseline(IssueModule, { appHeaders: true, before: prepare });
