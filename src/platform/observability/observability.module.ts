import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/app-config';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';

const QUIET_ROUTES = ['/health/live', '/health/ready', '/metrics'];

@Global()
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.logLevel,
          // Probes and scrapes would drown the log; everything else gets one line per request.
          autoLogging: { ignore: (req) => QUIET_ROUTES.includes((req.url ?? '').split('?')[0]) },
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          // 4xx is the client's business (info, like 2xx); 503 is a deliberate answer (busy, or a
          // dependency away, which its own component logs): warn; any other 5xx is a fault.
          customLogLevel: (_req, res, error) => (res.statusCode === 503 ? 'warn' : error || res.statusCode >= 500 ? 'error' : 'info'),
        },
      }),
    }),
  ],
  controllers: [MetricsController],
  providers: [Metrics],
  exports: [Metrics],
})
export class ObservabilityModule {}
