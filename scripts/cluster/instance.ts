import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../bench/lib/app-under-test';

const ROOT = join(__dirname, '..', '..');

/**
 * One app process as operators run it (`node dist/main.js` of this checkout, on a free port of
 * 127.0.0.1), which a test, the chaos run or the cluster script may kill, stop or restart. Its
 * output goes to `<logDir>/<name>.log`.
 */
export class Instance {
  private child?: ChildProcess;
  url = '';
  /** False from the moment a fault aims at the process until it is ready again: the load stops sending to it. */
  up = false;
  /** When the last SIGTERM/SIGKILL was sent (a request started after it may be refused). */
  endedAt = Infinity;

  constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Starts the process; `extraEnv` applies to this start only (a restart without it is back to normal). */
  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    const port = await freePort();
    mkdirSync(this.logDir, { recursive: true });
    const log = createWriteStream(join(this.logDir, `${this.name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, ...extraEnv, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.child = child;
    this.url = `http://127.0.0.1:${port}`;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`${this.name} exited with ${code}; see ${join(this.logDir, `${this.name}.log`)}`))),
    );
    await Promise.race([this.waitReady(90_000), exited]);
    this.up = true;
  }

  /** Polls /health/ready until 200; returns how long it took, or throws after the limit. */
  async waitReady(limitMs: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      const status = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return Date.now() - started;
      if (Date.now() - started > limitMs) throw new Error(`${this.name} not ready ${limitMs} ms after recovery (last status ${status})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /**
   * Sends a signal that ends the process and waits for the exit. With routeForMs, the load keeps
   * sending to it that long after the signal (requests in flight while it shuts down).
   */
  async end(signal: 'SIGTERM' | 'SIGKILL', routeForMs = 0): Promise<void> {
    const child = this.child;
    if (!routeForMs) this.up = false;
    if (!child || child.exitCode !== null || child.signalCode !== null) return void (this.up = false);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.endedAt = Date.now();
    child.kill(signal);
    if (routeForMs) setTimeout(() => (this.up = false), routeForMs);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}
