import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { type AppConfig } from '../config/app-config';

// Probes and scrapes would drown the log; everything else gets one line per request.
const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

const loggers = new WeakMap<AppConfig, Logger>();

/**
 * The app's one pino logger for a config: Fastify's (a child per request, bound to its id) and the
 * NestJS logger's (`NestPinoLogger`; `withRequestLogger` makes a line written while a request runs
 * carry that request's `reqId`).
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

/** The logger of the request being served, where there is one. */
const requestLoggers = new AsyncLocalStorage<Logger>();

/**
 * Runs `next` (the rest of the request: its hooks, guard, pipes, handler and everything they await)
 * with the request's child logger as the one `NestPinoLogger` writes through, so a line logged
 * through Nest's `Logger` while the request runs carries its `reqId`. Entered from the app's one
 * `onRequest` hook: a middleware (through @fastify/middie and Nest's wrapper) cost about a quarter
 * of the CPU of `GET /health/live`.
 */
export function withRequestLogger(log: FastifyBaseLogger, next: () => void): void {
  requestLoggers.run(log as Logger, next);
}

/** The id of the request being served (its X-Request-Id), where there is one. */
export function currentRequestId(): string | undefined {
  const reqId = requestLoggers.getStore()?.bindings().reqId as unknown;
  return typeof reqId === 'string' ? reqId : undefined;
}

/**
 * Nest's `LoggerService` on the app's pino logger: `log(message, context)` becomes
 * `{"context": ..., "msg": ...}` at info, an `Error` goes under `err`, and Nest's exception handlers'
 * `error(message, stack)` becomes one `err` with that stack. Each app has its own (no process-wide
 * root logger), so several apps in one process (the tests) keep their lines apart.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, optionalParams);
  }
  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }
  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('info', message, optionalParams);
  }
  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }
  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams);
  }
  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  private write(level: pino.Level, message: unknown, optionalParams: unknown[]): void {
    const logger = requestLoggers.getStore() ?? this.root;
    if (!logger.isLevelEnabled(level)) return;
    // Nest passes the context (the class name) last.
    const fields: Record<string, unknown> = {};
    const params = optionalParams.slice(0, -1);
    if (optionalParams.length > 0) fields.context = optionalParams[optionalParams.length - 1];
    if (message instanceof Error) {
      logger[level]({ ...fields, err: message }, ...(params as []));
    } else if (typeof message === 'object' && message !== null) {
      logger[level]({ ...fields, ...message }, ...(params as []));
    } else if (level === 'error' && params.length === 1 && typeof params[0] === 'string' && /\n\s*at /.test(params[0])) {
      const err = new Error(String(message));
      err.stack = params[0];
      logger.error({ ...fields, err });
    } else {
      logger[level](fields, String(message), ...(params as []));
    }
  }
}
