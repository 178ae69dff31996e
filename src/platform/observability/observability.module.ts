import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/app-config';
import { appLogger } from './app-logger';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';

@Global()
@Module({
  imports: [
    // The logger Fastify was built with (bootstrap.ts): its per-request child carries the request id
    // into every line logged while the request runs (withRequestLogger, from the app's onRequest
    // hook, so no route gets nestjs-pino's middleware); the access line is written by logEveryRequest.
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ pinoHttp: { logger: appLogger(config) }, useExisting: true as const, forRoutes: [] }),
    }),
  ],
  controllers: [MetricsController],
  providers: [Metrics],
  exports: [Metrics],
})
export class ObservabilityModule {}
