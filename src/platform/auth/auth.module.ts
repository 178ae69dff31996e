import { createSecretKey } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { seconds, ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/app-config';
import { AdminRouteAudit } from './admin-route-audit';
import { AuthGuard } from './auth.guard';
import { AuthRateLimitGuard, emailTracker, RateLimitStorage } from './auth-rate-limit';
import { TokenService } from './token.service';

@Global()
@Module({
  imports: [
    DiscoveryModule,
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, RateLimitStorage],
      useFactory: (config: AppConfig, storage: RateLimitStorage) => {
        const { perIp, perEmail, windowSeconds } = config.authRateLimit;
        const ttl = seconds(windowSeconds);
        return {
          storage,
          throttlers: [
            { name: 'ip', ttl, limit: perIp },
            { name: 'email', ttl, limit: perEmail, getTracker: (request) => emailTracker(request as { body?: unknown; ip: string }) },
          ],
        };
      },
    }),
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // A KeyObject, not the string: jsonwebtoken otherwise first tries (and fails) to parse the
        // string as a PEM public key on every verify, which cost a third of the CPU of a cheap request.
        secret: createSecretKey(Buffer.from(config.jwt.secret)),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  providers: [TokenService, AdminRouteAudit, AuthRateLimitGuard, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [TokenService, AuthRateLimitGuard, ThrottlerModule],
})
export class AuthModule {}
