/**
 * The app under fuzz: the real createApp() in this process, on the embedded profile (a temporary
 * SQLite file) or, with --profile full, on its own database, Redis prefix and Kafka topics of the
 * local engines (support/run-environment, removed at the end).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { RunEnvironment } from '../../support/run-environment';
import { createApp } from '../../src/bootstrap';
import { loadAppConfig } from '../../src/config';

export type Profile = 'embedded' | 'full';

export interface Target {
  url: string;
  admin: { email: string; password: string };
  /**
   * What a refused request must not change: row counts, balances, stock and coupon counts. Taken once
   * queued coupon requests are decided (queue strategy), so the consumer's work is not blamed on the next request.
   */
  snapshot(): Promise<string>;
  /** Snapshots taken with queued requests still undecided after the wait (the consumer lagging): the run lists them. */
  readonly notReady: string[];
  close(): Promise<void>;
}

// Every table a request can change, except idempotency_keys: a refused request with a key stores its answer for replay, by design.
const COUNTED_TABLES = [
  'users',
  'products',
  'orders',
  'order_items',
  'point_balances',
  'point_history',
  'coupons',
  'user_coupons',
  'coupon_issue_requests',
  'outbox_events',
];

/** Request ids of 202 answers (queue strategy) whose decision a snapshot waits for. */
export const queuedRequests = new Set<string>();

export async function startTarget(profile: Profile, strategy: 'lock' | 'queue'): Promise<Target> {
  queuedRequests.clear();
  const admin = { email: 'fuzz-admin@example.com', password: randomBytes(12).toString('base64url') };
  const common = {
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    SEED_DEMO_DATA: 'false',
    LOG_LEVEL: process.env.FUZZ_LOG_LEVEL ?? 'fatal',
    COUPON_ISSUE_STRATEGY: strategy,
    // The fuzzer signs up and logs in thousands of times from one address; the limiter has its own tests.
    AUTH_RATE_LIMIT_SIGNUPS_PER_IP: '100000000',
    AUTH_RATE_LIMIT_FAILED_LOGINS_PER_IP: '100000000',
    AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL: '100000000',
  };
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  if (profile === 'full') {
    const bench = new RunEnvironment();
    await bench.create();
    env = bench.appEnv(common);
    cleanup = () => bench.cleanup();
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'commerce-fuzz-'));
    env = { ...common, APP_PROFILE: 'embedded', SQLITE_PATH: join(dir, 'fuzz.sqlite') };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  let app: NestFastifyApplication;
  try {
    app = await createApp(loadAppConfig(env));
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (error) {
    await cleanup();
    throw error;
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const data = app.get(DataSource);

  const notReady: string[] = [];
  const snapshot = async (): Promise<string> => {
    // An accepted (202) request has no row until the consumer records its decision.
    for (let waited = 0; waited < 10_000 && queuedRequests.size > 0; waited += 50) {
      const ids = [...queuedRequests];
      const rows: Array<{ request_id: string }> = await data.query(
        `SELECT request_id FROM coupon_issue_requests WHERE request_id IN (${ids.map(() => '?').join(', ')})`,
        ids,
      );
      for (const row of rows) queuedRequests.delete(row.request_id);
      if (queuedRequests.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (queuedRequests.size > 0)
      notReady.push(`${queuedRequests.size} queued requests undecided after 10 s: ${[...queuedRequests].join(', ')}`);
    const counts = [];
    for (const table of COUNTED_TABLES) counts.push(Number((await data.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n));
    const balances = await data.query('SELECT user_id, balance FROM point_balances ORDER BY user_id');
    const products = await data.query('SELECT id, name, price, stock, category, status FROM products ORDER BY id');
    const coupons = await data.query('SELECT id, issued_quantity, total_quantity FROM coupons ORDER BY id');
    const orders = await data.query('SELECT id, status FROM orders ORDER BY id');
    const userCoupons = await data.query('SELECT id, status, order_id FROM user_coupons ORDER BY id');
    return JSON.stringify({ counts, balances, products, coupons, orders, userCoupons });
  };

  return {
    url: `http://127.0.0.1:${port}`,
    admin,
    snapshot,
    notReady,
    close: async () => {
      await app.close();
      await cleanup();
    },
  };
}
