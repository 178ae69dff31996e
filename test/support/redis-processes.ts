import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../../support/free-port';
import { eventually } from './eventually';

/** Why a redis-server of this test's own cannot be started here, if it cannot. */
export function redisServerUnavailable(): string | undefined {
  return spawnSync('redis-server', ['--version']).status === 0 ? undefined : 'no redis-server binary to start a Sentinel with';
}

/**
 * A redis-server (or Sentinel) process of this test's own, on 127.0.0.1 only, with its config and
 * data in a temporary directory it removes when stopped. A Sentinel rewrites its config file, so
 * the file is written there, not passed as arguments.
 */
export class RedisProcess {
  private process?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'commerce-redis-'));
  private output = '';

  private constructor(
    readonly port: number,
    private readonly sentinel: boolean,
  ) {}

  /** A server with no persistence; `replicaOf` makes it a replica of that port's server. */
  static async server(replicaOf?: number): Promise<RedisProcess> {
    const process = new RedisProcess(await freePort(), false);
    await process.start([...(replicaOf ? [`replicaof 127.0.0.1 ${replicaOf}`] : []), 'save ""', 'appendonly no']);
    return process;
  }

  /** A Sentinel monitoring each master (name → its host and port) with quorum 1. */
  static async sentinel(masters: Record<string, { host: string; port: number }>, downAfterMs = 5_000): Promise<RedisProcess> {
    const process = new RedisProcess(await freePort(), true);
    await process.start([
      'sentinel resolve-hostnames yes',
      ...Object.entries(masters).flatMap(([name, { host, port }]) => [
        `sentinel monitor ${name} ${host} ${port} 1`,
        `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
        `sentinel failover-timeout ${name} 10000`,
      ]),
    ]);
    return process;
  }

  private async start(lines: string[]): Promise<void> {
    const config = join(this.dir, 'redis.conf');
    writeFileSync(config, [`port ${this.port}`, 'bind 127.0.0.1', `dir ${this.dir}`, 'daemonize no', ...lines, ''].join('\n'));
    const child = spawn('redis-server', this.sentinel ? [config, '--sentinel'] : [config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const client = this.client();
    try {
      await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}):\n${this.output}`);
          expect(await client.ping()).toBe('PONG');
        },
        10_000,
        50,
      );
    } finally {
      client.disconnect();
    }
  }

  /** A plain client of this process (no prefix): for SENTINEL commands or a look at the server. */
  client(): Redis {
    return new Redis({ host: '127.0.0.1', port: this.port, lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
