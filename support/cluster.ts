import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, waitUntilAnswers } from './app-process';
import { freePort } from './free-port';

const ROOT = join(__dirname, '..');

export interface ClusterOptions {
  /** `APP_ROLE=api` processes. */
  api: number;
  /** `APP_ROLE=worker` processes. */
  workers: number;
  /** The full profile's variables every process shares: one database, Redis key prefix and topic prefix. */
  env: Record<string, string>;
  /** Where each process's log (`<name>.log`) and the proxy's files go. */
  logDir: string;
  /** A local nginx in front of the api processes (Debian's package, installed when missing). */
  proxy?: boolean;
}

/**
 * K `api` and M `worker` processes of `node dist/main.js` against one set of engines, as an
 * operator scales the full profile out, optionally behind a real nginx on 127.0.0.1. Used by the
 * multi-process tests and `npm run cluster`.
 */
export class Cluster {
  readonly apis: AppProcess[] = [];
  readonly workers: AppProcess[] = [];
  private proxy?: LocalNginx;
  private nextWorker = 1;

  private constructor(private readonly options: ClusterOptions) {}

  /** Starts the workers first (they create the admin and demo data), then the api processes, all ready. */
  static async start(options: ClusterOptions): Promise<Cluster> {
    if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
    const cluster = new Cluster(options);
    try {
      for (let i = 0; i < options.workers; i++) await cluster.addWorker();
      await Promise.all(
        Array.from({ length: options.api }, async (_, i) => {
          const api = new AppProcess(
            `api-${i + 1}`,
            { HOST: '127.0.0.1', ...options.env, APP_PROFILE: 'full', APP_ROLE: 'api' },
            options.logDir,
          );
          cluster.apis.push(api);
          await api.start();
        }),
      );
      if (options.proxy) cluster.proxy = await LocalNginx.start(cluster.apis, options.logDir);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The front door: the proxy when there is one, else the first api process. */
  get url(): string {
    return this.proxy?.url ?? this.apis[0].url;
  }

  /** Starts one more worker (it joins the consumer groups, which rebalance) and waits until it is ready. */
  async addWorker(extraEnv: Record<string, string> = {}): Promise<AppProcess> {
    const worker = new AppProcess(
      `worker-${this.nextWorker++}`,
      { HOST: '127.0.0.1', ...this.options.env, APP_PROFILE: 'full', APP_ROLE: 'worker' },
      this.options.logDir,
    );
    this.workers.push(worker);
    await worker.start(extraEnv);
    return worker;
  }

  /** SIGTERM to every process (workers finish their batch and leave their groups), the proxy last. */
  async stop(): Promise<void> {
    await Promise.all([...this.apis, ...this.workers].map((instance) => instance.end('SIGTERM')));
    await this.proxy?.stop();
  }
}

/** nginx from Debian's package in front of the api processes: round robin, keep-alive upstream connections. */
class LocalNginx {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(apis: AppProcess[], logDir: string): Promise<LocalNginx> {
    const nginx = nginxBinary();
    const port = await freePort();
    const prefix = join(logDir, 'nginx');
    mkdirSync(prefix, { recursive: true });
    const upstreams = apis.map((api) => `    server ${new URL(api.url).host} max_fails=0;`).join('\n');
    const config = join(prefix, 'nginx.conf');
    writeFileSync(
      config,
      `# Written by support/cluster.ts for this run.
worker_processes 1;
daemon off;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(prefix, 'body')};
  proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'uwsgi')};
  scgi_temp_path ${join(prefix, 'scgi')};
  upstream api {
${upstreams}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      # Only a request no api process received goes to another; nginx never resends a POST or PATCH
      # that reached one (it may have taken effect there): no non_idempotent here.
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
    }
  }
}
`,
    );
    const child = spawn(nginx, ['-p', prefix, '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntilAnswers(`${url}/health/live`, 10_000, () => `nginx (see ${join(prefix, 'error.log')})`);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return new LocalNginx(url, child);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGQUIT'); // nginx's graceful shutdown
    await exited;
  }
}

function nginxBinary(): string {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (existsSync(candidate)) return candidate;
  process.stderr.write('nginx is missing: installing Debian package nginx\n');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'nginx'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return '/usr/sbin/nginx';
}
