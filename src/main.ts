import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { Logger } from 'nestjs-pino';
import { createApp } from './bootstrap';
import { ConfigError, loadAppConfig } from './platform/config/app-config';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadAppConfig(process.env);
  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  app.get(Logger).log(`commerce listening on ${config.host}:${config.port} (profile ${config.profile}); API docs at /docs`, 'Bootstrap');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    // One line, no stack trace: the message names the variable.
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
