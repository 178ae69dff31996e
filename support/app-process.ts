import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port';

const ROOT = join(__dirname, '..');

export interface AppProcessOptions {
  /** The checkout whose `dist/main.js` runs (default: this one). */
  appDir?: string;
  /** Extra `node` flags (a CPU profile, say). */
  nodeArgs?: string[];
}

/**
 * One app process as operators run it (`node dist/main.js`, on a free port of 127.0.0.1), which a
 * test, the bench, the chaos run or the cluster script may start, kill, stop or restart. Its
 * output goes to `<logDir>/<name>.log`. The one way these tools spawn the app and wait until ready.
 */
export class AppProcess {
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
    private readonly options: AppProcessOptions = {},
  ) {}

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get logFile(): string {
    return join(this.logDir, `${this.name}.log`);
  }

  /**
   * Starts the process and waits until /health/ready answers 200; a start that fails leaves no
   * process behind. `extraEnv` applies to this start only (a restart without it is back to normal).
   */
  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    const port = await freePort();
    mkdirSync(this.logDir, { recursive: true });
    // A new process's log starts empty; a restart's lines follow the earlier ones.
    const log = createWriteStream(this.logFile, { flags: this.child ? 'a' : 'w' });
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), 'dist/main.js'], {
      cwd: this.options.appDir ?? ROOT,
      env: { ...process.env, ...this.env, ...extraEnv, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.child = child;
    this.url = `http://127.0.0.1:${port}`;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`${this.name} exited with ${code}; see ${this.logFile}`))),
    );
    try {
      await Promise.race([this.waitReady(90_000), exited]);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    this.up = true;
  }

  /** Polls /health/ready until 200; returns how long it took, or throws after the limit. */
  waitReady(limitMs: number): Promise<number> {
    return waitUntilAnswers(`${this.url}/health/ready`, limitMs, () => `${this.name} (see ${this.logFile})`);
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /**
   * Sends a signal that ends the process and waits for the exit (SIGKILL after 20 s). With
   * routeForMs, the load keeps sending to it that long after the signal (requests in flight while
   * it shuts down).
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

/**
 * Polls `url` every 200 ms until it answers 200; returns how long that took, or throws after
 * `limitMs` naming `what` (a process, a proxy, a Prometheus) and the last status.
 */
export async function waitUntilAnswers(url: string, limitMs: number, what: () => string = () => url): Promise<number> {
  const started = Date.now();
  for (;;) {
    const status = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`${what()}: ${url} not answering 200 after ${limitMs} ms (last status ${status})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
