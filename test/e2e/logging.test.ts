import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface Running {
  child: ChildProcess;
  url: string;
  lines: string[];
}

/** The real entry point with stdout piped (not a terminal), as a container or a log shipper sees it. */
async function startMain(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in:\n${lines.join('\n')}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop()!;
      lines.push(...complete);
      const listening = complete.map((line) => /listening on (http:\/\/[\d.]+:\d+)/.exec(line)).find(Boolean);
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
  const exited = new Promise((resolve) => running.child.on('exit', resolve));
  running.child.kill('SIGTERM');
  await exited;
}

describe('logs an operator can live with (embedded profile, real entry point)', () => {
  let app: Running;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'commerce-logging-'));
    app = await startMain({ PORT: '0', SQLITE_PATH: join(dir, 'db.sqlite'), LOG_LEVEL: 'info', SEED_DEMO_DATA: 'false' });
  });

  afterAll(async () => {
    if (app) await stop(app);
  });

  it('writes JSON lines, keeps probes and scrapes out, and carries the request id in and out', async () => {
    for (const path of ['/health/live', '/health/ready', '/health/ready?verbose=1', '/metrics']) {
      expect((await fetch(`${app.url}${path}`)).status).toBe(200);
    }
    const given = await fetch(`${app.url}/products?limit=1`, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc.123');
    const generated = await fetch(`${app.url}/products/999`);
    const generatedId = generated.headers.get('x-request-id');
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);
    // An id that could forge or bloat log lines is replaced, not echoed.
    const hostile = await fetch(`${app.url}/products`, { headers: { 'x-request-id': 'x'.repeat(500) } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    await new Promise((resolve) => setTimeout(resolve, 300));
    const entries = app.lines
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { req?: { id: string; url: string }; res?: { statusCode: number } });
    const accessLines = entries.filter((entry) => entry.req && entry.res);
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
});
