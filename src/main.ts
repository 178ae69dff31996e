import './instrument';
import 'reflect-metadata';
import { createApp, LISTEN_BACKLOG } from './bootstrap';
import { loadAppConfig } from './config';
import { NestPinoLogger } from './platform/observability/app-logger';
import { ConfigError } from './platform/config/app-config';

async function main(): Promise<void> {
  const config = loadAppConfig(process.env);
  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const served = config.role === 'worker' ? 'health and /metrics only' : 'API docs at /docs';
  app
    .get(NestPinoLogger)
    .log(`commerce listening on http://${config.host}:${port} (profile ${config.profile}, role ${config.role}); ${served}`, 'Bootstrap');
}

/**
 * A failed start is one line on stderr: readable at a terminal, otherwise a JSON line in the shape
 * of the app's other log lines (pino's fatal level), so a log pipeline parses it like the rest.
 */
function startupFailure(error: unknown): string {
  const message =
    error instanceof ConfigError ? error.message : `start-up failed: ${error instanceof Error ? error.message : String(error)}`;
  if (process.stderr.isTTY) return message;
  const err =
    error instanceof Error && !(error instanceof ConfigError)
      ? { type: error.name, message: error.message, stack: error.stack }
      : undefined;
  return JSON.stringify({ level: 60, time: Date.now(), pid: process.pid, msg: message, ...(err ? { err } : {}) });
}

main().catch((error: unknown) => {
  process.stderr.write(`${startupFailure(error)}\n`);
  process.exit(1);
});
