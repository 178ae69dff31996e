import { createSecretKey } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/app-config';
import { AdminRouteAudit } from './admin-route-audit';
import { AuthGuard } from './auth.guard';
import { redisOrMemory } from '../infrastructure/redis-or-memory';
import { AttemptCounter, MemoryAttemptCounter, RedisAttemptCounter } from './attempt-counter';
import { AuthAttemptLimiter } from './auth-attempt-limiter';
import { TokenService } from './token.service';

@Global()
@Module({
  imports: [
    DiscoveryModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // A KeyObject, not the string: jsonwebtoken otherwise first tries (and fails) to parse the
        // string as a PEM public key on every verify, which costs a third of the CPU of a cheap request.
        secret: createSecretKey(Buffer.from(config.jwt.secret)),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  providers: [
    TokenService,
    AdminRouteAudit,
    { provide: APP_GUARD, useClass: AuthGuard },
    // The login and sign-up counts: in Redis where the profile has it, so every instance shares them.
    redisOrMemory<AttemptCounter, [AppConfig]>(AttemptCounter, {
      inject: [APP_CONFIG],
      redis: (redis, config) => new RedisAttemptCounter(redis, config.authRateLimit.windowSeconds * 1000),
      memory: (config) => new MemoryAttemptCounter(config.authRateLimit.windowSeconds * 1000),
    }),
    AuthAttemptLimiter,
  ],
  exports: [TokenService, AuthAttemptLimiter],
})
export class AuthModule {}
