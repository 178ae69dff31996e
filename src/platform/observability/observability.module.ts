import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/app-config';
import { NestPinoLogger, appLogger } from './app-logger';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { stopTracing } from './tracing';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    Metrics,
    // Nest's logger on the logger Fastify was built with (bootstrap.ts): a line logged while a request
    // runs goes through that request's child (withRequestLogger); the access line is logEveryRequest's.
    { provide: NestPinoLogger, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new NestPinoLogger(appLogger(config)) },
  ],
  exports: [Metrics, NestPinoLogger],
})
export class ObservabilityModule implements OnApplicationShutdown {
  /** The spans still buffered are exported before the process ends (tracing, where main.ts started it). */
  async onApplicationShutdown(): Promise<void> {
    await stopTracing();
  }
}
