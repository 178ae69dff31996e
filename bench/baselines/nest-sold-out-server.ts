// Baseline: the smallest NestJS 11 + Fastify app that does what a sold-out refusal needs: a global
// guard verifying the caller's bearer token (@nestjs/jwt, HS256, the secret as a KeyObject), the
// app's security headers and an x-request-id from one onRequest hook, the coupon id through
// ParseIntPipe, the app's one-command hint lookup (the same Lua script, auto-pipelined), then a 409
// problem thrown as an HttpException. No logger, metrics, idempotency or config: it prices the
// framework doing the sold-out's I/O, the floor the app's request path stands on.
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
  UnauthorizedException,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { appSecurityHeaders } from '../../src/platform/http/security-headers';

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
  async issue(@CurrentUserId() userId: number, @Param('id', ParseIntPipe) id: number): Promise<never> {
    const hint = await redis.lookupHint(`${prefix}${id}:holders`, `${prefix}${id}:sold-out`, String(userId));
    throw new ConflictException({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      code: hint === 2 ? 'COUPON_SOLD_OUT' : 'COUPON_ALREADY_ISSUED',
      detail: 'This coupon has no copies left',
    });
  }
}

@Module({ controllers: [IssueController], providers: [{ provide: APP_GUARD, useClass: BearerGuard }] })
class SoldOutModule {}

redis
  .set(`${prefix}1:sold-out`, '1')
  .then(() =>
    NestFactory.create<NestFastifyApplication>(SoldOutModule, new FastifyAdapter({ genReqId: () => randomUUID() }), { logger: false }),
  )
  .then((app) => {
    const headers = appSecurityHeaders({ crossOrigin: false });
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', (request, reply, done) => {
        reply.headers(headers);
        reply.header('x-request-id', request.id);
        done();
      });
    return app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  })
  .then(
    () => process.send?.('ready'),
    (error: Error) => {
      console.error(error);
      process.exit(1);
    },
  );
