import type autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createPool, type Pool, type PoolConnection } from 'mysql2/promise';
import { processCpuMs } from '../../support/app-under-test';
import { freePort } from '../../support/free-port';
import { localEngines } from '../../support/isolated-resources';
import { BENCH_JWT_SECRET, type RunEnvironment } from '../../support/run-environment';
import { RESULTS_DIR } from '../lib/results-dir';
import { describeEngineCpu, type EngineCpu, engineCpuMs, engineCpuPerOp } from '../lib/engine-cpu';
import { type LoadResult, percentiles, round, runLoad } from '../lib/load';
import { EventLatencyConsumer } from '../lib/event-latency-consumer';
import { statementCounts, statementMix } from '../lib/statement-mix';
import { BareOutbox } from './bare-outbox';
import { bareRepositories } from './bare-repositories';

const PROFILES_DIR = join(RESULTS_DIR, 'profiles');

/**
 * Every baseline does, with nothing around it, the I/O one kind of app request does: a scenario's
 * ratio is its rate over the baseline's, both measured in the same run.
 */
export type BaselineName =
  | 'hello'
  | 'nest-hello'
  | 'nest-hello-headers'
  | 'nest-page'
  | 'mysql-by-id'
  | 'mysql-list'
  | 'redis-get'
  | 'redis-get-auth'
  | 'nest-sold-out'
  | 'nest-queue-accept'
  | 'kafka-send'
  | 'kafka-send-coalesced'
  | 'hot-row'
  | 'order-pay-sql'
  | 'order-pay-sql-outbox';

export interface BaselineResult {
  name: BaselineName;
  description: string;
  connections: number;
  /** Operations per second: requests (servers) or committed transactions / paid orders (loops). */
  rate: number;
  latencyMs: LoadResult['latencyMs'];
  /**
   * CPU ms per operation of what does the work: the server process (servers), or the bench
   * process running the loop with the app idle (loops). Comparable with the app's CPU ms/req.
   */
  cpuMsPerOp?: number;
  /** Loops: CPU ms per operation of each local engine meanwhile (what the database did per paid order). */
  engineCpuMsPerOp?: EngineCpu;
  checks: Array<{ name: string; ok: boolean }>;
}

export interface BaselineRun {
  env: RunEnvironment;
  connections: number;
  durationS: number;
  warmupS: number;
  /** The app's DB_POOL_SIZE: database baselines use a pool of the same size. */
  poolSize: number;
  /** `--profile`: baseline servers write a V8 CPU profile too (baseline-NAME.cpuprofile), to compare with the app's. */
  profile: boolean;
}

export const BASELINE_DESCRIPTIONS: Record<BaselineName, string> = {
  hello: 'bare Fastify 5 hello world (GET /, JSON)',
  'nest-hello': 'NestJS 11 + FastifyAdapter hello world (one controller, no logger)',
  'nest-hello-headers': "the NestJS hello answering with the app's security headers and an x-request-id, from one onRequest hook",
  'nest-page': "the NestJS hello answering a page of 20 products (the list's shape and size) from memory, nothing else",
  'mysql-by-id': 'bare Fastify + mysql2: one product by primary key',
  'mysql-list': 'bare Fastify + mysql2: a page of 20 products of one category (21 rows read)',
  'redis-get': 'bare Fastify + ioredis: answers from one GET',
  'redis-get-auth': "bare Fastify + ioredis: one GET after verifying the caller's JWT (@nestjs/jwt, HS256), a new user per request",
  'nest-sold-out':
    "the smallest NestJS app doing the sold-out refusal's work: JWT guard, the app's headers, ParseIntPipe, the app's hint script, a 409 HttpException",
  'kafka-send': 'bare Fastify + kafkajs: 202 after one acked send (idempotent, acks -1)',
  'nest-queue-accept':
    "the smallest NestJS app doing the queue accept's work: JWT guard, the app's headers, ParseIntPipe, the app's hint script, a signed request id, one coalesced send, 202",
  'kafka-send-coalesced': 'the kafka-send server publishing as the app does: one send in flight, requests meanwhile combined into the next',
  'hot-row': 'bare mysql2 hot-row coupon transaction',
  'order-pay-sql': "bare mysql2 loop: the app's statements of one order create + pay",
  'order-pay-sql-outbox':
    'the order-pay-sql loop plus what the app does with each event: bare relay passes (claim, kafkajs send acked by all replicas, mark SENT) and a consumer group applying it to Redis',
};

export function measureBaseline(name: BaselineName, run: BaselineRun): Promise<BaselineResult> {
  switch (name) {
    case 'hello':
      return serverBaseline(name, run, 'hello-server.ts', {}, { method: 'GET', path: '/' });
    case 'nest-hello':
      return serverBaseline(name, run, 'nest-hello-server.ts', {}, { method: 'GET', path: '/' });
    case 'nest-hello-headers':
      return serverBaseline(name, run, 'nest-hello-server.ts', { BASELINE_APP_HEADERS: '1' }, { method: 'GET', path: '/' });
    case 'nest-page':
      return serverBaseline(name, run, 'nest-hello-server.ts', {}, { method: 'GET', path: '/products?category=bench-catalogue&limit=20' });
    case 'mysql-by-id':
      return mysqlProducts(run, 'mysql-by-id');
    case 'mysql-list':
      return mysqlProducts(run, 'mysql-list');
    case 'redis-get':
      return serverBaseline(
        name,
        run,
        'redis-get-server.ts',
        { REDIS_URL: localEngines.redisUrl, REDIS_KEY_PREFIX: run.env.redisKeyPrefix },
        { method: 'GET', path: '/' },
      );
    case 'redis-get-auth':
      return serverBaseline(name, run, 'redis-get-server.ts', authEnv(run), withTokensInTurn(run, { method: 'POST', path: '/' }));
    case 'nest-sold-out':
      return serverBaseline(
        name,
        run,
        'nest-issue-server.ts',
        authEnv(run),
        withTokensInTurn(run, { method: 'POST', path: '/coupons/1/issue' }),
        409,
      );
    case 'nest-queue-accept':
      // Coupon 2 is not sold out: every request is accepted and published.
      return serverBaseline(
        name,
        run,
        'nest-issue-server.ts',
        { ...authEnv(run), BASELINE_KAFKA_BROKERS: localEngines.kafkaBrokers, BASELINE_TOPIC: `${run.env.topicPrefix}baseline.${name}` },
        withTokensInTurn(run, { method: 'POST', path: '/coupons/2/issue' }),
        202,
      );
    case 'kafka-send':
    case 'kafka-send-coalesced':
      return serverBaseline(
        name,
        run,
        'kafka-send-server.ts',
        {
          KAFKA_BROKERS: localEngines.kafkaBrokers,
          BASELINE_TOPIC: `${run.env.topicPrefix}baseline.${name}`,
          BASELINE_PARTITIONS: '12',
          BASELINE_COALESCE: name === 'kafka-send-coalesced' ? '1' : '0',
        },
        { method: 'POST', path: '/' },
        202,
      );
    case 'hot-row':
      return hotRowLoop(run);
    case 'order-pay-sql':
      return orderPaySqlLoop(run, false);
    case 'order-pay-sql-outbox':
      return orderPaySqlLoop(run, true);
  }
}

/** A server that reads Redis and verifies the caller's token as the app does. */
function authEnv(run: BaselineRun): Record<string, string> {
  return { REDIS_URL: localEngines.redisUrl, REDIS_KEY_PREFIX: run.env.redisKeyPrefix, BASELINE_JWT_SECRET: BENCH_JWT_SECRET };
}

/**
 * A request carrying one of 10,000 users' tokens in turn, signed before the load as the sold-out
 * scenario's are; reused, since the baseline servers remember none (the app remembers verified
 * tokens, so its scenario sends new ones).
 */
function withTokensInTurn(run: BaselineRun, request: autocannon.Request): autocannon.Request {
  const tokens = run.env.users(10_000).map((user) => user.token);
  let next = 0;
  return {
    ...request,
    setupRequest: (req: any) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
  };
}

/** A baseline server (one file of this folder) in its own process, loaded like the app. */
async function serverBaseline(
  name: BaselineName,
  run: BaselineRun,
  file: string,
  env: Record<string, string>,
  request: autocannon.Request,
  expectedStatus = 200,
  description = BASELINE_DESCRIPTIONS[name],
): Promise<BaselineResult> {
  const port = await freePort();
  // A profile is written when the process exits, so a profiled server exits on SIGTERM rather than dying of it.
  const profileArgs = run.profile
    ? [
        '--require',
        join(__dirname, 'exit-on-sigterm.js'),
        '--cpu-prof',
        '--cpu-prof-dir',
        PROFILES_DIR,
        `--cpu-prof-name=baseline-${name}.cpuprofile`,
      ]
    : [];
  const child = fork(join(__dirname, file), [], {
    env: { ...process.env, ...env, PORT: String(port) },
    execArgv: [...process.execArgv, ...profileArgs],
    stdio: 'inherit',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) =>
      child.once('message', () => resolve()).once('exit', (code) => reject(new Error(`baseline ${name} exited ${code}`))),
    );
    const target = `http://127.0.0.1:${port}`;
    const requests = [request];
    if (run.warmupS > 0) await runLoad(target, { durationS: run.warmupS, connections: run.connections, requests });
    const cpuBefore = processCpuMs(child.pid);
    const load = await runLoad(target, { durationS: run.durationS, connections: run.connections, requests });
    const cpuAfter = processCpuMs(child.pid);
    return {
      name,
      description,
      connections: run.connections,
      rate: load.rps,
      latencyMs: load.latencyMs,
      cpuMsPerOp:
        cpuBefore !== undefined && cpuAfter !== undefined && load.responses > 0
          ? round((cpuAfter - cpuBefore) / load.responses, 3)
          : undefined,
      checks: [
        {
          name: `every response ${expectedStatus}`,
          ok: load.responses > 0 && load.statuses[String(expectedStatus)] === load.responses && load.errors === 0,
        },
      ],
    };
  } finally {
    child.kill('SIGTERM');
    if (run.profile) await exited;
  }
}

const BASELINE_PRODUCTS = 100;
/** The products scenario's page size. */
const BASELINE_PAGE = 20;
/** The app's mysql2 options (database.module.ts) that change what the driver does per row. */
const APP_DRIVER_OPTIONS = { timezone: 'Z', supportBigNumbers: true, bigNumberStrings: false } as const;

/**
 * Products live in a copy of the app's table (`CREATE TABLE … LIKE`: same columns, types and
 * indexes), seeded with as many rows as the products scenario, so the app never sees them.
 */
async function mysqlProducts(run: BaselineRun, name: 'mysql-by-id' | 'mysql-list'): Promise<BaselineResult> {
  const pool = createPool({ ...localEngines.db, database: run.env.database, connectionLimit: 2 });
  const ids: number[] = [];
  try {
    await pool.query('CREATE TABLE IF NOT EXISTS baseline_products LIKE products');
    await pool.query('DELETE FROM baseline_products');
    const now = new Date();
    for (let i = 0; i < BASELINE_PRODUCTS; i++) {
      const [result] = await pool.query(
        "INSERT INTO baseline_products (name, price, stock, category, status, created_at, updated_at) VALUES (?, ?, 1000, 'baseline', 'ON_SALE', ?, ?)",
        [`Baseline item ${i}`, 1_000 + i, now, now],
      );
      ids.push((result as { insertId: number }).insertId);
    }
  } finally {
    await pool.end();
  }
  return serverBaseline(
    name,
    run,
    'mysql-by-id-server.ts',
    {
      DB_HOST: localEngines.db.host,
      DB_PORT: String(localEngines.db.port),
      DB_USER: localEngines.db.user,
      DB_PASSWORD: localEngines.db.password,
      DB_NAME: run.env.database,
      DB_POOL_SIZE: String(run.poolSize),
      BASELINE_TABLE: 'baseline_products',
    },
    name === 'mysql-list'
      ? { method: 'GET', path: `/products?category=baseline&limit=${BASELINE_PAGE}` }
      : {
          method: 'GET',
          path: `/products/${ids[0]}`,
          setupRequest: (request: any) => ({ ...request, path: `/products/${ids[Math.floor(Math.random() * ids.length)]}` }),
        },
    200,
    `${BASELINE_DESCRIPTIONS[name]} (pool ${run.poolSize})`,
  );
}

/**
 * `connections` concurrent workers on a mysql2 pool the size of the app's, each looping `body`
 * on one pooled connection until the deadline. Returns completions per second and latencies.
 */
async function loop(pool: Pool, run: BaselineRun, body: (connection: PoolConnection) => Promise<void>) {
  let completed = 0;
  const latencies: number[] = [];
  const deadline = Date.now() + run.durationS * 1000;
  const worker = async () => {
    while (Date.now() < deadline) {
      const started = performance.now();
      const connection = await pool.getConnection();
      try {
        await body(connection);
        completed++;
      } finally {
        connection.release();
      }
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  const enginesBefore = engineCpuMs();
  const statementsBefore = await statementCounts(pool);
  await Promise.all(Array.from({ length: run.connections }, worker));
  const elapsedS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuMsPerOp = completed > 0 ? round((used.user + used.system) / 1000 / completed, 3) : undefined;
  const engineCpuMsPerOp = engineCpuPerOp(enginesBefore, engineCpuMs(), completed);
  const engineCpu = describeEngineCpu(engineCpuMsPerOp);
  if (engineCpu) console.log(`  engines' CPU per operation of the loop: ${engineCpu}`);
  console.log(
    `  statements per operation of the loop (server counters): ${statementMix(statementsBefore, await statementCounts(pool), completed).text}`,
  );
  return { completed, rate: round(completed / elapsedS), latencyMs: percentiles(latencies), cpuMsPerOp, engineCpuMsPerOp };
}

/**
 * The coupon hot-row transaction with nothing around it: BEGIN; conditional UPDATE of one row;
 * INSERT of a (coupon, user) row; COMMIT. This is what the database allows on this machine.
 */
export async function hotRowLoop(run: BaselineRun): Promise<BaselineResult> {
  const pool = createPool({ ...localEngines.db, ...APP_DRIVER_OPTIONS, database: run.env.database, connectionLimit: run.poolSize });
  try {
    await pool.query(
      'CREATE TABLE IF NOT EXISTS bench_hot_row (id INT PRIMARY KEY, issued INT NOT NULL, total INT NOT NULL) ENGINE=InnoDB',
    );
    await pool.query(
      `CREATE TABLE IF NOT EXISTS bench_hot_row_holders (id INT AUTO_INCREMENT PRIMARY KEY, coupon_id INT NOT NULL, user_id INT NOT NULL,
        issued_at DATETIME(3) NOT NULL, UNIQUE KEY uq_coupon_user (coupon_id, user_id)) ENGINE=InnoDB`,
    );
    await pool.query('DELETE FROM bench_hot_row_holders');
    await pool.query('REPLACE INTO bench_hot_row VALUES (1, 0, 100000000)');
    let nextUser = 1;
    const result = await loop(pool, run, async (connection) => {
      await connection.query('BEGIN');
      const [update] = await connection.query('UPDATE bench_hot_row SET issued = issued + 1 WHERE id = 1 AND issued < total');
      if ((update as { affectedRows: number }).affectedRows === 1) {
        await connection.query('INSERT INTO bench_hot_row_holders (coupon_id, user_id, issued_at) VALUES (1, ?, NOW(3))', [nextUser++]);
      }
      await connection.query('COMMIT');
    });
    const [[row]] = (await pool.query(
      'SELECT issued, (SELECT COUNT(*) FROM bench_hot_row_holders) AS holders FROM bench_hot_row WHERE id = 1',
    )) as any;
    return {
      name: 'hot-row',
      description: `${BASELINE_DESCRIPTIONS['hot-row']} (pool ${run.poolSize})`,
      connections: run.connections,
      rate: result.rate,
      latencyMs: result.latencyMs,
      cpuMsPerOp: result.cpuMsPerOp,
      checks: [
        { name: 'issued = rows = commits', ok: Number(row.issued) === result.completed && Number(row.holders) === result.completed },
      ],
    };
  } finally {
    await pool.end();
  }
}

const ORDER_TABLES = ['products', 'orders', 'order_items', 'point_balances', 'point_history', 'outbox_events'];
const BUYERS = 200;
const PRICE = 100;

/**
 * Exactly the statements the app runs for one `POST /orders` and one `POST /orders/{id}/pay` without
 * a coupon (src/modules/order/order.service.ts, point.service.ts, product.service.ts,
 * platform/outbox/outbox-writer.ts), from the app's own repositories on bare mysql2 connections
 * (./bare-repositories.ts), in a database of their own holding copies of the app's tables
 * (`CREATE TABLE … LIKE`), so the app's relay and expiry sweep never see these rows.
 * One iteration = one paid order; 100 products, 200 buyers, like the order-pay scenario.
 */
export async function orderPaySqlLoop(run: BaselineRun, publish: boolean): Promise<BaselineResult> {
  const name: BaselineName = publish ? 'order-pay-sql-outbox' : 'order-pay-sql';
  const database = `${run.env.database}_loop`;
  const admin = createPool({ ...localEngines.db, database: run.env.database, connectionLimit: 1 });
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  for (const table of ORDER_TABLES) await admin.query(`CREATE TABLE \`${database}\`.${table} LIKE ${table}`);
  const pool = createPool({ ...localEngines.db, ...APP_DRIVER_OPTIONS, database, connectionLimit: run.poolSize });
  let outbox: BareOutbox | undefined;
  let latency: EventLatencyConsumer | undefined;
  try {
    const now = new Date();
    const productIds: number[] = [];
    for (let i = 0; i < 100; i++) {
      const [result] = await pool.query(
        `INSERT INTO products (name, price, stock, category, status, created_at, updated_at) VALUES (?, ?, 100000000, 'bench-checkout', 'ON_SALE', ?, ?)`,
        [`Checkout item ${i}`, PRICE, now, now],
      );
      productIds.push((result as { insertId: number }).insertId);
    }
    const buyers = Array.from({ length: BUYERS }, (_, i) => 1_000 + i);
    for (const userId of buyers)
      await pool.query(`INSERT INTO point_balances (user_id, balance, updated_at) VALUES (?, 1000000, ?)`, [userId, now]);
    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];
    const topic = `${run.env.topicPrefix}baseline.order.completed`;
    if (publish) {
      outbox = await BareOutbox.start(database, topic, `${run.env.topicPrefix}baseline-top-sellers`, `${run.env.redisKeyPrefix}baseline:`);
      // As in the order-pay scenario: the bench's own consumer, in its own process, times each event.
      latency = await EventLatencyConsumer.start(localEngines.kafkaBrokers, topic, `${run.env.topicPrefix}baseline-latency`);
    }

    const result = await loop(pool, run, async (connection) => {
      const { orders, products, points, outbox: events } = bareRepositories(connection);
      const userId = pick(buyers);
      const productId = pick(productIds);
      // POST /orders: the catalogue read, then the order and its items in one transaction.
      const [product] = await products.findByIds([productId]);
      const createdAt = new Date();
      await connection.query('START TRANSACTION');
      const orderId = await orders.insert({
        userId,
        status: 'PENDING',
        totalAmount: product.price,
        discountAmount: 0,
        finalAmount: product.price,
        userCouponId: null,
        createdAt,
        expiresAt: new Date(createdAt.getTime() + 15 * 60_000),
        paidAt: null,
        cancelledAt: null,
        items: [{ productId, name: product.name, quantity: 1, unitPrice: product.price, lineTotal: product.price }],
      });
      await connection.query('COMMIT');
      // POST /orders/{id}/pay: one transaction.
      const paidAt = new Date();
      await connection.query('START TRANSACTION');
      const moved = await orders.move(userId, orderId, 'PENDING', 'PAID', paidAt);
      const order = (await orders.findOfUser(userId, orderId))!;
      const taken = await products.takeStock(productId, 1, paidAt);
      const paid = await points.changeBalance(userId, -order.finalAmount, { min: 0 });
      if (!moved || !taken || !paid) throw new Error('order-pay-sql: the order, stock or balance ran out');
      await points.appendHistory(userId, 'USE', -order.finalAmount, orderId);
      const eventId = randomUUID();
      const payload = {
        eventId,
        occurredAt: paidAt.toISOString(),
        orderId,
        userId,
        items: [{ productId, quantity: 1, unitPrice: PRICE }],
        totalAmount: PRICE,
        discountAmount: 0,
        finalAmount: PRICE,
        userCouponId: null,
      };
      await events.insert({
        eventId,
        eventType: 'order.completed',
        topic: 'order.completed',
        messageKey: String(orderId),
        payload: JSON.stringify(payload),
        headers: JSON.stringify({ 'event-id': eventId }),
        occurredAt: paidAt,
      });
      await connection.query('COMMIT');
      outbox?.wake();
    });
    let published: { sent: number; consumed: number; latencyMs?: LoadResult['latencyMs'] } | undefined;
    if (outbox && latency) {
      // Everything committed is published and applied before the checks (outside the timed loop).
      const deadline = Date.now() + 30_000;
      while ((outbox.consumedCount < result.completed || (await latency.count()) < result.completed) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
      const [[sent]] = (await pool.query(`SELECT COUNT(*) AS n FROM outbox_events WHERE status = 'SENT'`)) as any;
      const latencyMs = percentiles((await latency.timings()).map((timing) => timing.total));
      published = { sent: Number(sent.n), consumed: outbox.consumedCount, latencyMs };
      console.log(
        `  the bare relay: ${published.sent} of ${result.completed} events sent, ${published.consumed} applied; ` +
          `commit → consumer p50 ${latencyMs.p50} ms, p99 ${latencyMs.p99} ms (no warm-up)`,
      );
    }
    const [[row]] = (await pool.query(
      `SELECT (SELECT COUNT(*) FROM orders WHERE status = 'PAID') AS paid,
              (SELECT SUM(100000000 - stock) FROM products) AS sold,
              (SELECT COUNT(*) FROM outbox_events) AS events`,
    )) as any;
    return {
      name,
      description: `${BASELINE_DESCRIPTIONS[name]} (pool ${run.poolSize}, 13 statements per paid order${publish ? ' plus the relay' : ''})`,
      connections: run.connections,
      rate: result.rate,
      latencyMs: result.latencyMs,
      cpuMsPerOp: result.cpuMsPerOp,
      engineCpuMsPerOp: result.engineCpuMsPerOp,
      checks: [
        {
          name: 'paid orders = units sold = events = iterations',
          ok: Number(row.paid) === result.completed && Number(row.sold) === result.completed && Number(row.events) === result.completed,
        },
        ...(published
          ? [
              {
                name: 'every event sent and applied once',
                ok: published.sent === result.completed && published.consumed >= result.completed,
              },
            ]
          : []),
      ],
    };
  } finally {
    await latency?.stop();
    await outbox?.stop();
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``).finally(() => admin.end());
  }
}
