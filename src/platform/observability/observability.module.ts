import type { IncomingMessage } from 'node:http';
import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/app-config';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';

// Probes and scrapes would drown the log; everything else gets one line per request.
const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

type RawRequest = IncomingMessage & { originalUrl?: string };

/** The path as the client sent it: Fastify's middleware layer rewrites `req.url`, not `originalUrl`. */
function pathOf(req: RawRequest): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0];
}

@Global()
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.logLevel,
          // A person at a terminal running the demo reads lines; anything else (a container, a pipe) gets JSON.
          transport:
            config.profile === 'embedded' && process.stdout.isTTY
              ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }
              : undefined,
          autoLogging: { ignore: (req) => QUIET_PATHS.has(pathOf(req)) },
          // The id, method and path are what an operator searches by; headers stay out of the log
          // (tokens, cookies) and out of each line's cost.
          serializers: {
            req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
            res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          },
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
