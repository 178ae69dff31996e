import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { Api } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');
// The driver the embedded profile uses (it ships no type declarations; this is all the test needs).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (path: string) => { exec(sql: string): void; close(): void };
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

interface Running {
  child: ChildProcess;
  url: string;
  /** stdout as written, one entry per line (a terminal's `\r` removed). */
  lines: string[];
}

interface LogEntry {
  level: number;
  msg: string;
  reqId?: string;
  context?: string;
  req?: { id: string; url: string; method: string };
  res?: { statusCode: number };
}

/**
 * Starts `command` and resolves once it printed its listening line. The default is the real entry
 * point with stdout piped (not a terminal), as a container or a log shipper sees it.
 */
async function startMain(
  env: Record<string, string>,
  command: string[] = [process.execPath, '-r', 'ts-node/register/transpile-only', 'src/main.ts'],
): Promise<Running> {
  const child = spawn(command[0], command.slice(1), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    // stdin stays open: `script` ends its session when its input does.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in:\n${lines.join('\n')}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split('\n').map((line) => line.replace(/\r$/, ''));
      buffered = complete.pop()!;
      lines.push(...complete);
      const listening = complete.map((line) => /listening on (http:\/\/[\d.]+:\d+)/.exec(line.replace(ANSI, ''))).find(Boolean);
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${lines.join('\n')}`)));
  });
  return { child, url, lines };
}

async function stop(running: Running): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  const exited = new Promise((resolve) => running.child.on('exit', resolve));
  running.child.kill('SIGTERM');
  await exited;
}

function entriesOf(running: Running): LogEntry[] {
  return running.lines.filter(Boolean).map((line) => JSON.parse(line) as LogEntry);
}

describe.each(profilesUnderTest())('logs an operator can live with (%s profile, real entry point)', (profile) => {
  let env: IsolatedEnvironment;
  let app: Running;
  let api: Api;

  beforeAll(async () => {
    env = await isolatedEnvironment(profile, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    app = await startMain(env.env);
    api = new Api(app.url);
  });

  afterAll(async () => {
    if (app) await stop(app);
    await env?.cleanup();
  });

  it('writes JSON lines, keeps probes and scrapes out, and carries the request id in and out', async () => {
    for (const path of ['/health/live', '/health/ready', '/health/ready?verbose=1', '/metrics']) {
      expect({ path, status: (await api.get(path)).status }).toEqual({ path, status: 200 });
    }
    const given = await api.get('/products?limit=1', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc.123');
    const generated = await api.get('/products/999');
    const generatedId = generated.headers.get('x-request-id');
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);
    // An id that could forge or bloat log lines is replaced, not echoed.
    const hostile = await api.get('/products', { headers: { 'x-request-id': 'x'.repeat(500) } });
    const hostileId = hostile.headers.get('x-request-id');
    expect(hostileId).toMatch(/^[0-9a-f-]{36}$/);

    // The last request's line is there, so every earlier one is too (one stream, in order).
    await eventually(() => expect(entriesOf(app).some((entry) => entry.req?.id === hostileId)).toBe(true));
    const accessLines = entriesOf(app).filter((entry) => entry.req && entry.res);
    const urls = accessLines.map((entry) => entry.req!.url);
    expect(urls.filter((url) => /^\/(health|metrics)/.test(url))).toEqual([]);
    expect(accessLines.find((entry) => entry.req!.url === '/products?limit=1')?.req!.id).toBe('trace-abc.123');
    expect(accessLines.find((entry) => entry.req!.url === '/products/999')).toMatchObject({
      req: { id: generatedId },
      res: { statusCode: 404 },
    });
    // No headers (tokens, cookies) in the access line.
    expect(JSON.stringify(accessLines)).not.toMatch(/authorization|user-agent/i);
  });

  if (profile === 'embedded') {
    it("puts the request's id on a line written while it runs, not only on its access line", async () => {
      const token = await api.login('busy-writer@example.com');
      // Another writer holds SQLite's write lock: the charge's transaction hits SQLITE_BUSY and its
      // runner logs the retry (a warn line from inside the request), then succeeds once released.
      const other = new Database(env.env.SQLITE_PATH);
      other.exec('BEGIN IMMEDIATE');
      let charge: Promise<{ status: number; body: { balance: number } }> | undefined;
      try {
        charge = api.post('/points/charge', { amount: 1000 }, { token, headers: { 'x-request-id': 'busy-write-1' } });
        await eventually(() => expect(entriesOf(app).some((entry) => entry.reqId === 'busy-write-1' && !entry.req)).toBe(true), 60_000);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      const answer = await charge;
      expect(answer.status).toBe(200);
      expect(answer.body.balance).toBe(1000);
      const lines = entriesOf(app).filter((entry) => entry.reqId === 'busy-write-1');
      expect(lines.find((entry) => !entry.req)).toMatchObject({
        level: 40,
        context: 'TransactionRunner',
        msg: expect.stringContaining('SQLITE_BUSY'),
      });
      await eventually(() =>
        expect(entriesOf(app).find((entry) => entry.req?.id === 'busy-write-1')).toMatchObject({ res: { statusCode: 200 } }),
      );
    });
  }
});

describe('the embedded profile at a terminal and without one (built app, dist/main.js)', () => {
  let dataDir: string;

  beforeAll(() => {
    // What `npm start` runs first: builds dist/ only when src/ is newer (CI's Node 24 copy has none).
    const build = spawnSync(process.execPath, ['scripts/build-if-stale.js'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}\n${build.stderr}`);
    dataDir = mkdtempSync(join(tmpdir(), 'commerce-tty-'));
  }, 320_000);

  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ PORT: '0', SQLITE_PATH: join(dataDir, 'db.sqlite'), LOG_LEVEL: 'info', SEED_DEMO_DATA: 'false' });

  it('prints readable lines (pino-pretty) under a pseudo-terminal', async () => {
    // util-linux `script` runs the command on a new pseudo-terminal; SIGTERM to it reaches the app.
    if (spawnSync('script', ['--version']).status !== 0) throw new Error('this test needs `script` (util-linux) on PATH');
    const app = await startMain(env(), ['script', '-qfc', `exec ${process.execPath} dist/main.js`, '/dev/null']);
    try {
      expect((await new Api(app.url).get('/health/live')).status).toBe(200);
      const start = app.lines.find((line) => line.includes('listening on'))!;
      expect(() => JSON.parse(start)).toThrow();
      expect(start.replace(ANSI, '')).toMatch(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: commerce listening on http:\/\/127\.0\.0\.1:\d+ \(profile embedded, role all\); API docs at \/docs/,
      );
      expect(app.lines.filter((line) => line.startsWith('{'))).toEqual([]);
    } finally {
      await stop(app);
    }
    // Stopped: nothing answers (so there is no status for the contract check either).
    await expect(fetch(`${app.url}/health/live`)).rejects.toThrow();
  });

  it('prints one JSON object per line when stdout is not a terminal', async () => {
    const app = await startMain(env(), [process.execPath, 'dist/main.js']);
    try {
      const start = app.lines.find((line) => line.includes('listening on'))!;
      expect(JSON.parse(start)).toMatchObject({
        level: 30,
        context: 'Bootstrap',
        msg: expect.stringMatching(/^commerce listening on http:\/\/127\.0\.0\.1:\d+ \(profile embedded, role all\); API docs at \/docs$/),
      });
      expect(app.lines.filter(Boolean).filter((line) => !line.startsWith('{'))).toEqual([]);
    } finally {
      await stop(app);
    }
  });
});
