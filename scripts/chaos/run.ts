// `npm run chaos -- --help`: faults under a steady mixed load on two instances (full profile), invariants after each, a scorecard.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ADMIN, BenchEnvironment, engines } from '../../bench/lib/bench-env';
import { TcpProxy } from '../../test/support/tcp-proxy';
import { TopicReader } from '../../test/support/topic-reader';
import { Instance } from './instance';

// The run's throw-away users share one random password.
const USER_PASSWORD = randomBytes(12).toString('base64url');

const USAGE = `npm run chaos [-- options]   (needs npm run engines:up; stops and restarts the Kafka broker)
  --smoke             short faults (seconds) for CI; the default holds each fault as the issue says (10 s, 30 s for Kafka)
  --strategy S        lock, queue or both (default both)
  --scenario NAME     only these (repeatable): ${'db-cut, redis-cut, kafka-stop, sigkill, sigterm, pause'}`;

const ROOT = join(__dirname, '..', '..');
const RELIABILITY = join(ROOT, 'docs', 'reliability.md');
const REQUEST_TIMEOUT_MS = 30_000;
const LOCK_TTL_MS = 3_000;

type Strategy = 'lock' | 'queue';
type Outcome = {
  op: string;
  instance: string;
  status: number | 'error' | 'timeout';
  problem: boolean;
  retryAfter: boolean;
  body?: any;
  during: boolean;
  error?: string;
};

interface Options {
  smoke: boolean;
  strategies: Strategy[];
  scenarios: string[];
}

function parseOptions(argv: string[]): Options {
  if (argv.includes('--help')) {
    console.log(USAGE);
    process.exit(0);
  }
  const all = ['db-cut', 'redis-cut', 'kafka-stop', 'sigkill', 'sigterm', 'pause'];
  const values = (flag: string) => argv.flatMap((arg, i) => (arg === flag && argv[i + 1] ? [argv[i + 1]] : []));
  const strategy = values('--strategy')[0] ?? 'both';
  const scenarios = values('--scenario').length ? values('--scenario') : all;
  if (!['lock', 'queue', 'both'].includes(strategy) || scenarios.some((s) => !all.includes(s))) throw new Error(USAGE);
  return { smoke: argv.includes('--smoke'), strategies: strategy === 'both' ? ['lock', 'queue'] : [strategy as Strategy], scenarios };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface User {
  token: string;
  paid: number[];
}

/** The world of one strategy run: two instances behind their own proxies to MySQL and Redis. */
class Rig {
  readonly bench = new BenchEnvironment();
  readonly db = new TcpProxy(engines.db.host, engines.db.port);
  readonly redis = new TcpProxy(new URL(engines.redisUrl).hostname, Number(new URL(engines.redisUrl).port || 6379));
  instances: Instance[] = [];
  users: User[] = [];
  products: Array<{ id: number; stock: number }> = [];
  couponId = 0;
  outcomes: Outcome[] = [];
  private next = 0;
  private signups = 0;

  constructor(readonly strategy: Strategy) {}

  async start(): Promise<void> {
    await this.bench.create();
    await this.db.start();
    await this.redis.start();
    const env = this.bench.appEnv({
      DB_PORT: String(this.db.port),
      REDIS_URL: `redis://127.0.0.1:${this.redis.port}`,
      COUPON_ISSUE_STRATEGY: this.strategy,
      COUPON_LOCK_TTL_MS: String(LOCK_TTL_MS),
      AUTH_RATE_LIMIT_PER_IP: '100000000',
      AUTH_RATE_LIMIT_PER_EMAIL: '100000000',
      LOG_LEVEL: 'warn',
    });
    this.instances = [new Instance(`${this.strategy}-a`, env), new Instance(`${this.strategy}-b`, env)];
    for (const instance of this.instances) await instance.start();
    const admin = await this.call('admin', 'POST', '/auth/login', BENCH_ADMIN);
    const adminToken = admin.body.accessToken as string;
    for (const [i, stock] of [1000, 1000, 50].entries()) {
      const product = await this.call(
        'setup',
        'POST',
        '/admin/products',
        { name: `P${i}`, price: 1000 * (i + 1), stock, category: 'chaos' },
        adminToken,
      );
      this.products.push({ id: product.body.id, stock });
    }
    const coupon = await this.call(
      'setup',
      'POST',
      '/admin/coupons',
      { name: 'Chaos', discountType: 'FIXED', discountValue: 500, totalQuantity: 40, minOrderAmount: 0, validDays: 7 },
      adminToken,
    );
    this.couponId = coupon.body.id;
    for (let i = 0; i < 12; i++) await this.signUp();
  }

  private async signUp(): Promise<void> {
    const email = `chaos-${this.strategy}-${this.signups++}@example.com`;
    const signup = await this.call('setup', 'POST', '/auth/signup', { email, password: USER_PASSWORD, name: 'Chaos' });
    if (signup.status !== 201) throw new Error(`signup: ${signup.status}`);
    const login = await this.call('setup', 'POST', '/auth/login', { email, password: USER_PASSWORD });
    this.users.push({ token: login.body.accessToken, paid: [] });
  }

  private pick(): Instance {
    const up = this.instances.filter((i) => i.up);
    return up[this.next++ % Math.max(1, up.length)] ?? this.instances[0];
  }

  private async call(
    op: string,
    method: string,
    path: string,
    body?: unknown,
    token?: string,
    record?: { during: () => boolean },
  ): Promise<{ status: number; body: any }> {
    const instance = this.pick();
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let outcome: Outcome;
    try {
      const response = await fetch(`${instance.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      const type = response.headers.get('content-type') ?? '';
      const parsed = type.includes('json') && text ? JSON.parse(text) : text;
      outcome = {
        op,
        instance: instance.name,
        status: response.status,
        problem: type.startsWith('application/problem+json'),
        retryAfter: response.headers.has('retry-after'),
        body: parsed,
        during: record?.during() ?? false,
      };
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      outcome = {
        op,
        instance: instance.name,
        status: timedOut ? 'timeout' : 'error',
        problem: false,
        retryAfter: false,
        during: record?.during() ?? false,
        error: (error as Error).message,
      };
    }
    if (record) this.outcomes.push(outcome);
    if (!record && typeof outcome.status !== 'number') throw new Error(`${op} ${method} ${path}: ${outcome.error}`);
    return { status: typeof outcome.status === 'number' ? outcome.status : 0, body: outcome.body };
  }

  /** One mixed step of a load worker: sign-up, charge, order + pay, cancel, coupon issue or a read. */
  async step(rec: { during: () => boolean }): Promise<void> {
    const user = this.users[Math.floor(Math.random() * this.users.length)];
    const roll = Math.random();
    if (roll < 0.05) {
      const email = `chaos-${this.strategy}-${this.signups++}@example.com`;
      const signup = await this.call('signup', 'POST', '/auth/signup', { email, password: USER_PASSWORD, name: 'Chaos' }, undefined, rec);
      if (signup.status === 201) {
        const login = await this.call('login', 'POST', '/auth/login', { email, password: USER_PASSWORD }, undefined, rec);
        if (login.status === 200) this.users.push({ token: login.body.accessToken, paid: [] });
      }
    } else if (roll < 0.25) {
      await this.call('charge', 'POST', '/points/charge', { amount: 1000 * (1 + Math.floor(Math.random() * 20)) }, user.token, rec);
    } else if (roll < 0.6) {
      const product = this.products[Math.floor(Math.random() * this.products.length)];
      const order = await this.call(
        'order',
        'POST',
        '/orders',
        { items: [{ productId: product.id, quantity: 1 + Math.floor(Math.random() * 2) }] },
        user.token,
        rec,
      );
      if (order.status === 201) {
        const paid = await this.call('pay', 'POST', `/orders/${order.body.id}/pay`, undefined, user.token, rec);
        if (paid.status === 200) user.paid.push(order.body.id);
      }
    } else if (roll < 0.7) {
      const orderId = user.paid.shift();
      if (orderId) await this.call('cancel', 'POST', `/orders/${orderId}/cancel`, undefined, user.token, rec);
    } else if (roll < 0.9) {
      await this.call('issue', 'POST', `/coupons/${this.couponId}/issue`, undefined, user.token, rec);
    } else {
      await this.call('read', 'GET', `/products/${this.products[0].id}`, undefined, undefined, rec);
    }
  }

  async stop(): Promise<void> {
    for (const instance of this.instances) await instance.end('SIGTERM').catch(() => undefined);
    await this.db.stop().catch(() => undefined);
    await this.redis.stop().catch(() => undefined);
    await this.bench.cleanup().catch((error: Error) => console.error(`cleanup: ${error.message}`));
  }
}

interface Scenario {
  name: string;
  fault: string;
  /** Injects the fault, holds it, removes it; returns the instances expected to recover by themselves. */
  run(rig: Rig, holdMs: number): Promise<Instance[]>;
}

function kafka(action: 'start' | 'stop'): void {
  execFileSync('bash', [join(ROOT, 'scripts', 'kafka', `${action}.sh`)], { stdio: 'ignore' });
}

const SCENARIOS: Scenario[] = [
  {
    name: 'db-cut',
    fault: 'MySQL cut (proxy refuses and drops connections)',
    run: async (rig, hold) => (await rig.db.cut(), await sleep(hold), await rig.db.restore(), rig.instances),
  },
  {
    name: 'redis-cut',
    fault: 'Redis cut',
    run: async (rig, hold) => (await rig.redis.cut(), await sleep(hold), await rig.redis.restore(), rig.instances),
  },
  {
    name: 'kafka-stop',
    fault: 'Kafka broker stopped, restarted with its data',
    run: async (rig, hold) => (kafka('stop'), await sleep(hold * 3), kafka('start'), rig.instances),
  },
  {
    name: 'sigkill',
    fault: 'instance B SIGKILL mid-load, restarted',
    run: async (rig, hold) => {
      await rig.instances[1].end('SIGKILL');
      await sleep(hold);
      await rig.instances[1].start();
      return [rig.instances[0]];
    },
  },
  {
    name: 'sigterm',
    fault: 'instance B SIGTERM with requests in flight, restarted',
    run: async (rig, hold) => {
      const b = rig.instances[1];
      // The load keeps sending to it for 50 ms after the signal, so requests are in flight while it drains.
      await b.end('SIGTERM', 50);
      await sleep(hold);
      await b.start();
      return [rig.instances[0]];
    },
  },
  {
    name: 'pause',
    fault: `instance B SIGSTOP past the lock lease (${LOCK_TTL_MS} ms), SIGCONT`,
    run: async (rig, hold) => {
      rig.instances[1].signal('SIGSTOP');
      await sleep(Math.max(hold, LOCK_TTL_MS + 2_000));
      rig.instances[1].signal('SIGCONT');
      return rig.instances;
    },
  },
];

interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

async function invariants(
  rig: Rig,
  reader: TopicReader,
  scenarioOutcomes: Outcome[],
  allOutcomes: Outcome[],
  killed: boolean,
): Promise<Check[]> {
  const db = rig.bench.db();
  const rows = async (sql: string) => (await db.query(sql))[0] as Array<Record<string, any>>;
  // Quiet: the relay has sent every event and the queue consumer has decided every request.
  for (let i = 0; i < 120; i++) {
    const [{ n }] = await rows(
      "SELECT (SELECT COUNT(*) FROM outbox_events WHERE status = 'PENDING') + (SELECT COUNT(*) FROM coupon_issue_requests WHERE status = 'PENDING') AS n",
    );
    if (Number(n) === 0) break;
    await sleep(500);
  }
  const checks: Check[] = [];
  const check = (name: string, bad: unknown[], show = (x: unknown) => JSON.stringify(x)) =>
    checks.push({ name, ok: bad.length === 0, detail: bad.length ? `${bad.length}: ${show(bad[0])}` : undefined });

  check(
    'balance = sum of history, never negative',
    await rows(
      'SELECT b.user_id, b.balance, COALESCE(SUM(h.amount), 0) AS total FROM point_balances b LEFT JOIN point_history h ON h.user_id = b.user_id GROUP BY b.user_id, b.balance HAVING b.balance <> COALESCE(SUM(h.amount), 0) OR b.balance < 0',
    ),
  );
  const sold = await rows(
    "SELECT p.id, p.stock, COALESCE(SUM(CASE WHEN o.status = 'PAID' THEN i.quantity ELSE 0 END), 0) AS sold FROM products p LEFT JOIN order_items i ON i.product_id = p.id LEFT JOIN orders o ON o.id = i.order_id GROUP BY p.id, p.stock",
  );
  check(
    'stock + sold = initial, stock ≥ 0',
    sold.filter((row) => row.stock < 0 || Number(row.stock) + Number(row.sold) !== rig.products.find((p) => p.id === row.id)!.stock),
  );
  const [coupon] = await rows(
    `SELECT issued_quantity AS issued, total_quantity AS total, (SELECT COUNT(*) FROM user_coupons WHERE coupon_id = ${rig.couponId}) AS copies FROM coupons WHERE id = ${rig.couponId}`,
  );
  check(
    'coupon issued = copies ≤ total',
    Number(coupon.issued) === Number(coupon.copies) && Number(coupon.copies) <= Number(coupon.total) ? [] : [coupon],
  );
  check(
    'at most one copy per user',
    await rows('SELECT user_id, coupon_id, COUNT(*) AS n FROM user_coupons GROUP BY user_id, coupon_id HAVING COUNT(*) > 1'),
  );
  const copies = new Set((await rows('SELECT id FROM user_coupons')).map((r) => Number(r.id)));
  const decided = new Map(
    (await rows('SELECT request_id, status, user_coupon_id FROM coupon_issue_requests')).map((r) => [r.request_id as string, r]),
  );
  const answeredIssues = allOutcomes.filter((o) => o.op === 'issue' && (o.status === 201 || o.status === 202));
  check(
    'every 201/202 issue answer has its copy or decision',
    answeredIssues.filter((o) =>
      o.status === 201
        ? !copies.has(o.body.userCouponId)
        : decided.get(o.body.requestId)?.status === 'PENDING' || !decided.has(o.body.requestId),
    ),
  );
  // Events: read until every PAID/CANCELLED order's event has arrived (bounded), then compare.
  const orders = await rows('SELECT id, status, paid_at FROM orders');
  const expectCompleted = orders.filter((o) => o.paid_at !== null).map((o) => String(o.id));
  const expectCancelled = orders.filter((o) => o.status === 'CANCELLED').map((o) => String(o.id));
  const distinct = (suffix: string) => {
    const byKey = new Map<string, Set<string>>();
    for (const m of reader.messages.filter((m) => m.topic.endsWith(suffix)))
      byKey.set(m.key, (byKey.get(m.key) ?? new Set()).add(m.eventId));
    return byKey;
  };
  for (let i = 0; i < 60; i++) {
    const completed = distinct('order.completed');
    const cancelled = distinct('order.cancelled');
    if (expectCompleted.every((id) => completed.has(id)) && expectCancelled.every((id) => cancelled.has(id))) break;
    await sleep(500);
  }
  const completed = distinct('order.completed');
  const cancelled = distinct('order.cancelled');
  check(
    'every paid order: exactly one order.completed event',
    expectCompleted.filter((id) => completed.get(id)?.size !== 1),
    (id) => `order ${String(id)}: ${completed.get(String(id))?.size ?? 0} events`,
  );
  check(
    'every cancelled order: exactly one order.cancelled event',
    expectCancelled.filter((id) => cancelled.get(id)?.size !== 1),
    (id) => `order ${String(id)}: ${cancelled.get(String(id))?.size ?? 0} events`,
  );
  check(
    'no order.completed for an order never paid',
    [...completed.keys()].filter((id) => !expectCompleted.includes(id)),
  );
  check(
    'no 500, no hang',
    scenarioOutcomes.filter((o) => o.status === 'timeout' || (typeof o.status === 'number' && o.status >= 500 && o.status !== 503)),
  );
  check(
    'every 503 is problem+json with Retry-After',
    scenarioOutcomes.filter((o) => o.status === 503 && !(o.problem && o.retryAfter)),
    (o) => JSON.stringify((o as Outcome).body),
  );
  // A connection error is only acceptable from the instance that was SIGKILLed.
  check(
    'every request answered',
    scenarioOutcomes.filter((o) => o.status === 'error' && !(killed && o.instance.endsWith('-b'))),
    (o) => `${(o as Outcome).op} on ${(o as Outcome).instance}: ${(o as Outcome).error}`,
  );
  return checks;
}

interface Row {
  strategy: Strategy;
  scenario: string;
  fault: string;
  requests: number;
  classes: string;
  passed: number;
  total: number;
  recoverMs: number | null;
  failed: Check[];
}

async function runScenario(rig: Rig, reader: TopicReader, scenario: Scenario, options: Options): Promise<Row> {
  const phaseMs = options.smoke ? 1_500 : 4_000;
  const holdMs = options.smoke ? 3_000 : 10_000;
  const first = rig.outcomes.length;
  let faulted = false;
  let loading = true;
  const rec = { during: () => faulted };
  const workers = Array.from({ length: 6 }, async () => {
    while (loading) await rig.step(rec).catch(() => sleep(50));
  });
  await sleep(phaseMs);
  faulted = true;
  let recoverMs: number | null = null;
  let recoveryError: string | undefined;
  try {
    const survivors = await scenario.run(rig, holdMs);
    const restored = Date.now();
    faulted = false;
    for (const instance of survivors) await instance.waitReady(60_000);
    recoverMs = Date.now() - restored;
    for (const instance of rig.instances) instance.up = true;
  } catch (error) {
    recoveryError = (error as Error).message;
    faulted = false;
  }
  await sleep(phaseMs);
  loading = false;
  await Promise.all(workers);
  const outcomes = rig.outcomes.slice(first);
  const checks = await invariants(rig, reader, outcomes, rig.outcomes, scenario.name === 'sigkill');
  checks.push({ name: 'instances ready again without a restart', ok: !recoveryError, detail: recoveryError });
  const classes = new Map<string, number>();
  for (const o of outcomes) {
    const key = typeof o.status === 'number' ? (o.status === 503 ? '503' : `${String(o.status)[0]}xx`) : o.status;
    classes.set(key, (classes.get(key) ?? 0) + 1);
  }
  return {
    strategy: rig.strategy,
    scenario: scenario.name,
    fault: scenario.fault,
    requests: outcomes.length,
    classes: [...classes]
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
    passed: checks.filter((c) => c.ok).length,
    total: checks.length,
    recoverMs,
    failed: checks.filter((c) => !c.ok),
  };
}

function writeScorecard(rows: Row[], options: Options): void {
  const table = [
    `Latest \`npm run chaos${options.smoke ? ' -- --smoke' : ''}\`: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${options.smoke ? '3 s faults (smoke)' : '10 s faults, 30 s for Kafka'}, 6 load workers over two instances.`,
    '',
    '| strategy | scenario | fault | requests | answers by class | invariant checks passed | time to recover |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.strategy} | ${r.scenario} | ${r.fault} | ${r.requests} | ${r.classes} | ${r.passed}/${r.total}${r.failed.length ? ` (failed: ${r.failed.map((c) => c.name).join('; ')})` : ''} | ${r.recoverMs === null ? '—' : `${(r.recoverMs / 1000).toFixed(1)} s`} |`,
    ),
  ].join('\n');
  const doc = readFileSync(RELIABILITY, 'utf8');
  const start = '<!-- chaos:start (npm run chaos writes this) -->';
  const end = '<!-- chaos:end -->';
  const next = doc.includes(start)
    ? `${doc.slice(0, doc.indexOf(start) + start.length)}\n${table}\n${doc.slice(doc.indexOf(end))}`
    : `${doc}\n${start}\n${table}\n${end}\n`;
  writeFileSync(RELIABILITY, next);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  console.log(`chaos: ${options.scenarios.join(', ')} under ${options.strategies.join(' and ')}${options.smoke ? ' (smoke)' : ''}`);
  const rows: Row[] = [];
  for (const strategy of options.strategies) {
    const rig = new Rig(strategy);
    let reader: TopicReader | undefined;
    try {
      await rig.start();
      reader = await new TopicReader(engines.kafkaBrokers, [
        `${rig.bench.topicPrefix}order.completed`,
        `${rig.bench.topicPrefix}order.cancelled`,
      ]).start();
      for (const scenario of SCENARIOS.filter((s) => options.scenarios.includes(s.name))) {
        console.log(`▶ ${strategy} / ${scenario.name}: ${scenario.fault}`);
        const row = await runScenario(rig, reader, scenario, options);
        rows.push(row);
        console.log(
          `  ${row.requests} requests (${row.classes}); checks ${row.passed}/${row.total}; recovered in ${row.recoverMs === null ? '—' : `${row.recoverMs} ms`}`,
        );
        for (const failed of row.failed) console.error(`  FAILED ${failed.name}: ${failed.detail ?? ''}`);
      }
    } finally {
      await reader?.stop().catch(() => undefined);
      await rig.stop();
    }
  }
  writeScorecard(rows, options);
  console.log(`\nscorecard written to docs/reliability.md`);
  return rows.some((r) => r.failed.length > 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
