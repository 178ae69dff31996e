import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess } from './app-process';
import { BENCH_ADMIN } from './run-environment';

/** BENCH_APP_DIR: another checkout's build to load instead of this one (before/after comparisons). */
const APP_DIR = process.env.BENCH_APP_DIR ?? join(__dirname, '..');
/** USER_HZ: /proc reports CPU times in these ticks; 100 on every Linux build that matters here. */
const CLOCK_TICKS_PER_S = 100;

/** User + system CPU time of a process so far (Linux /proc); undefined elsewhere or once it is gone. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (!pid || process.platform !== 'linux') return undefined;
  try {
    // Fields after the command name: state is 3rd, utime 14th and stime 15th of the whole line.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/**
 * The app as operators run it (`node dist/main.js`, full profile) in its own process, so the
 * load generator and the app do not share an event loop. With BENCH_URL, a running app instead.
 */
export class AppUnderTest {
  private constructor(
    readonly url: string,
    readonly adminToken: string,
    private readonly app?: AppProcess,
  ) {}

  static get external(): string | undefined {
    return process.env.BENCH_URL?.replace(/\/$/, '');
  }

  /** Its log goes to `<logDir>/app-<name>.log`; with `cpuProfileDir`, a CPU profile `<name>.cpuprofile` there. */
  static async start(
    name: string,
    env: Record<string, string>,
    options: { logDir: string; cpuProfileDir?: string },
  ): Promise<AppUnderTest> {
    const external = AppUnderTest.external;
    if (external) return new AppUnderTest(external, await adminToken(external));
    if (!existsSync(join(APP_DIR, 'dist', 'main.js')))
      throw new Error(`${join(APP_DIR, 'dist', 'main.js')} is missing: run \`npm run build\` (npm run bench does)`);
    const nodeArgs = options.cpuProfileDir
      ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir, `--cpu-prof-name=${name}.cpuprofile`]
      : [];
    if (options.cpuProfileDir) mkdirSync(options.cpuProfileDir, { recursive: true });
    const app = new AppProcess(`app-${name}`, env, options.logDir, { appDir: APP_DIR, nodeArgs });
    await app.start();
    try {
      // A worker serves no API: nothing to log in to.
      return new AppUnderTest(app.url, env.APP_ROLE === 'worker' ? '' : await adminToken(app.url), app);
    } catch (error) {
      await app.end('SIGKILL');
      throw error;
    }
  }

  /** User + system CPU time of the app process so far (Linux /proc); undefined for BENCH_URL or elsewhere. */
  cpuMs(): number | undefined {
    return processCpuMs(this.app?.pid);
  }

  /**
   * The app's event-loop delay (p50, p99, max in ms) since the previous call, from its own /metrics
   * (prom-client's monitorEventLoopDelay histogram, which each scrape reads and resets): how long
   * anything the app schedules, its outbox relay included, waits behind the work already queued.
   */
  async eventLoopDelayMs(): Promise<{ p50: number; p99: number; max: number } | undefined> {
    const text = await fetch(`${this.url}/metrics`).then(
      (r) => r.text(),
      () => '',
    );
    const read = (name: string) => {
      const match = new RegExp(`^nodejs_eventloop_lag_${name}_seconds\\s+([\\d.eE+-]+)$`, 'm').exec(text);
      return match ? Math.round(Number(match[1]) * 10_000) / 10 : undefined;
    };
    const [p50, p99, max] = [read('p50'), read('p99'), read('max')];
    return p50 === undefined || p99 === undefined || max === undefined ? undefined : { p50, p99, max };
  }

  /** SIGTERM (graceful: consumers commit, the relay stops), as an orchestrator would. */
  async stop(): Promise<void> {
    await this.app?.end('SIGTERM');
  }

  async request(method: string, path: string, body?: unknown, token = this.adminToken): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Like request(), but throws unless the status is the expected one. */
  async expect(status: number, method: string, path: string, body?: unknown, token?: string): Promise<any> {
    const response = await this.request(method, path, body, token);
    if (response.status !== status)
      throw new Error(`${method} ${path}: expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }
}

async function adminToken(url: string): Promise<string> {
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: BENCH_ADMIN.email, password: BENCH_ADMIN.password }),
  });
  if (response.status !== 200)
    throw new Error(`admin login at ${url} failed (${response.status}); set BENCH_ADMIN_EMAIL/BENCH_ADMIN_PASSWORD`);
  return ((await response.json()) as { accessToken: string }).accessToken;
}
