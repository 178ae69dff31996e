import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Store, storage } from 'nestjs-pino/storage';
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { type AppConfig } from '../config/app-config';

// Probes and scrapes would drown the log; everything else gets one line per request.
const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

const loggers = new WeakMap<AppConfig, Logger>();

/**
 * The app's one pino logger for a config: Fastify's (a child per request, bound to its id) and the
 * NestJS logger's (nestjs-pino with `useExisting`; `withRequestLogger` makes a log line written
 * while a request runs carry that request's `reqId`).
 * `destination` (tests that read the log) replaces stdout; it counts only on the first call for a config.
 */
export function appLogger(config: AppConfig, destination?: DestinationStream): Logger {
  let logger = loggers.get(config);
  if (!logger) {
    const options: pino.LoggerOptions = {
      level: config.logLevel,
      // Fastify's own serializers would drop the id; these also keep headers (tokens, cookies) out.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      // A person at a terminal running the demo reads lines; anything else (a container, a pipe) gets JSON.
      transport:
        config.profile === 'embedded' && process.stdout.isTTY && !destination
          ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }
          : undefined,
    };
    logger = destination ? pino(options, destination) : pino(options);
    loggers.set(config, logger);
  }
  return logger;
}

/**
 * One access line per request, written when the response is done (id, method, path and status:
 * what an operator searches by). 4xx is the client's business (info, like 2xx); 503 is a deliberate answer (busy, or a
 * dependency away, which its own component logs): warn; any other 5xx is a fault: error.
 * Nothing is built for a line the level leaves out (pino-http built a child logger with the
 * serialised request for every request, even at warn).
 */
export function logEveryRequest(fastify: FastifyInstance, logger: Logger): void {
  const enabled = (level: LevelWithSilent) => logger.isLevelEnabled(level);
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = status === 503 ? 'warn' : status >= 500 ? 'error' : 'info';
    if (enabled(level) && !QUIET_PATHS.has(request.url.split('?', 1)[0])) {
      request.log[level]({ req: request, res: reply, responseTime: Math.round(reply.elapsedTime) }, 'request completed');
    }
    done();
  });
}

/**
 * Runs `next` (the rest of the request: its hooks, guard, pipes, handler and everything they await)
 * with the request's child logger as the one nestjs-pino's `Logger` writes through, so a line logged
 * through Nest's `Logger` while the request runs carries its `reqId`. It is what nestjs-pino's own
 * request middleware does (`storage.run(new Store(req.log), next)`, entered at the same point of
 * Fastify's `onRequest` hooks), called from the app's one `onRequest` hook instead of through
 * @fastify/middie and Nest's middleware wrapper, which cost about a quarter of the CPU of
 * `GET /health/live` (docs/benchmarks.md); observability.module.ts turns that middleware off.
 */
export function withRequestLogger(log: FastifyBaseLogger, next: () => void): void {
  storage.run(new Store(log as Logger), next);
}
