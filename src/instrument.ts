import { existsSync } from 'node:fs';
import { startTracing } from './platform/observability/tracing';

// main.ts's first import: `.env` is read and tracing started before any module the
// instrumentations patch (node:http, mysql2, ioredis, pino) is loaded.
if (existsSync('.env')) process.loadEnvFile('.env');
startTracing(process.env);
