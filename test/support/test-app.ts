import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp, LISTEN_BACKLOG } from '../../src/bootstrap';
import { loadAppConfig } from '../../src/config';
import { recordObservation } from './contract-coverage';
import { readDecision } from './engines';
import { type EnvOverrides } from './real-engines';

export interface HttpResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is, for malformed-body tests. */
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
  /** Fails the request (throws) when no answer came within this long: for tests of requests that must end. */
  timeoutMs?: number;
}

const ROOT = join(__dirname, '..', '..');
// Read once: the contract check's log of observed statuses is per run.
const RUN_ID = readDecision().runId;

/**
 * The one way a test reports an answer to the contract check (test/support/contract-coverage.ts):
 * the Api client below calls it, and so must any request sent another way (a raw `http.request`,
 * a fetch to a spawned app). `target`: an absolute URL, or the request target exactly as sent.
 */
export function recordAnswer(method: string, target: string, status: number): void {
  recordObservation(RUN_ID, method, target, status);
}

/** A black-box HTTP client for a running app. */
export class Api {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const signal = options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined;
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body, signal }).catch((error: Error) => {
      throw signal?.aborted ? new Error(`${method} ${this.baseUrl}${path}: no answer within ${options.timeoutMs} ms`) : error;
    });
    recordAnswer(method, `${this.baseUrl}${path}`, response.status);
    const text = await response.text();
    let parsed: unknown = text;
    if (/json/.test(response.headers.get('content-type') ?? '') && text) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }

  post<T = any>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>('POST', path, { ...options, body });
  }

  patch<T = any>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>('PATCH', path, { ...options, body });
  }

  /** Signs up (if needed) and logs in; returns the access token. */
  async login(email: string, password = 'password-123', name = 'Tester'): Promise<string> {
    await this.post('/auth/signup', { email, password, name });
    const response = await this.post('/auth/login', { email, password });
    if (response.status !== 200) throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.accessToken as string;
  }
}

/** One line of the app's JSON log (pino), as an operator's log shipper would read it. */
export interface LogEntry {
  level: number;
  time: number;
  msg?: string;
  context?: string;
  [field: string]: unknown;
}

/** The app's log lines, kept in memory (and also written to stdout when TEST_LOG_LEVEL is set). */
export class CapturedLog {
  private readonly lines: string[] = [];

  /** A pino destination. */
  write(line: string): void {
    this.lines.push(line);
    if (process.env.TEST_LOG_LEVEL) process.stdout.write(line);
  }

  /** The entries written at or after `since` (epoch ms). */
  entries(since = 0): LogEntry[] {
    return this.lines.map((line) => JSON.parse(line) as LogEntry).filter((entry) => entry.time >= since);
  }
}

export interface TestApp {
  app: NestFastifyApplication;
  api: Api;
  url: string;
  /** The app's log, when started with `captureLogs`. */
  logs?: CapturedLog;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Keep the app's log lines in `TestApp.logs` instead of writing them to stdout. */
  captureLogs?: boolean;
}

/** Boots the real application (the same createApp as main.ts) on a random port of 127.0.0.1. */
export async function startApp(env: EnvOverrides, options: StartOptions = {}): Promise<TestApp> {
  const logs = options.captureLogs ? new CapturedLog() : undefined;
  return listening(await createApp(loadAppConfig(env), { logDestination: logs }), logs);
}

/**
 * Boots the app as `nest build` compiled it (dist/), building it first when stale as `npm start`
 * does. Only the build runs the @nestjs/swagger CLI plugin (nest-cli.json), which adds the DTOs'
 * class-validator constraints to the OpenAPI document: ts-jest's app serves a poorer one.
 */
export async function startBuiltApp(env: EnvOverrides): Promise<TestApp> {
  const build = spawnSync(process.execPath, ['scripts/build-if-stale.js'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
  const built = (await import(join(ROOT, 'dist', 'bootstrap.js'))) as { createApp: typeof createApp };
  const config = (await import(join(ROOT, 'dist', 'config.js'))) as { loadAppConfig: typeof loadAppConfig };
  return listening(await built.createApp(config.loadAppConfig(env)));
}

async function listening(app: NestFastifyApplication, logs?: CapturedLog): Promise<TestApp> {
  await app.listen({ port: 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return { app, api: new Api(url), url, logs, close: () => app.close() };
}
