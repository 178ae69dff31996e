import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { COUPON_ISSUER_GROUP } from '../../src/modules/coupon/issuance/issue-request.consumer';
import { Cluster } from '../../support/cluster';
import { ADMIN, inBatches, Shop } from '../support/commerce-fixtures';
import { membersWithPartitions } from '../support/consumer-group';
import { callers, createCoupon, expectExactDrop, runDrop, type DropTarget } from '../support/coupon-drop';
import { eventually } from '../support/eventually';
import { describeWithEngines, isolatedEnvironment, type IsolatedEnvironment } from '../support/real-engines';
import { Api, startApp, type TestApp } from '../support/test-app';

const LOG_DIR = join(__dirname, '..', '..', 'bench', 'results', 'process-roles');

async function outboxStatuses(shop: Shop): Promise<Record<string, number>> {
  const rows: Array<{ status: string; n: string | number }> = await shop.dataSource.query(
    'SELECT status, COUNT(*) AS n FROM outbox_events GROUP BY status',
  );
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

/** Units sold per product in today's and yesterday's top sellers (two days: a run may cross UTC midnight). */
async function soldByProduct(api: Api): Promise<Map<number, number>> {
  const top = await api.get('/products/top-sellers?days=2&limit=50');
  expect(top.status).toBe(200);
  return new Map((top.body.items as Array<{ productId: number; soldQuantity: number }>).map((item) => [item.productId, item.soldQuantity]));
}

describeWithEngines('APP_ROLE=api alone, then a worker', () => {
  let env: IsolatedEnvironment;
  let api: TestApp;
  let worker: TestApp | undefined;

  beforeAll(async () => {
    // A poll of 10 minutes: whatever the worker publishes after its first pass, a nudge made it do so.
    env = await isolatedEnvironment('full', { ...ADMIN, COUPON_ISSUE_STRATEGY: 'queue', OUTBOX_POLL_INTERVAL_MS: '600000' });
    api = await startApp({ ...env.env, APP_ROLE: 'api' });
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.cleanup();
  });

  it("keeps a paid order's event and queued coupon requests waiting until a worker starts, which publishes and decides them", async () => {
    const shop = await Shop.open(api);
    const product = await shop.product({ price: 5_000 });
    const buyer = await shop.user(100_000);
    const order = await shop.order(buyer.token, [{ productId: product.id, quantity: 2 }]);
    expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token })).status).toBe(200);
    const couponId = await createCoupon(shop, 2);
    const people = await callers(api, 3, 40_000_000);
    const accepted = await Promise.all(people.map((p) => api.api.post(`/coupons/${couponId}/issue`, undefined, { token: p.token })));
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202]);

    // Nothing in this process publishes or decides: a second later, all of it still waits.
    await sleep(1_000);
    expect(await outboxStatuses(shop)).toEqual({ PENDING: 1 });
    const statusOf = (i: number) => api.api.get(`/coupons/issue-requests/${accepted[i].body.requestId}`, { token: people[i].token });
    for (const i of [0, 1, 2]) expect((await statusOf(i)).body.status).toBe('PENDING');

    worker = await startApp({ ...env.env, APP_ROLE: 'worker' });
    await eventually(async () => expect(await outboxStatuses(shop)).toEqual({ SENT: 1 }), 30_000);
    await eventually(async () => {
      const statuses = await Promise.all([0, 1, 2].map(async (i) => (await statusOf(i)).body.status as string));
      expect(statuses.sort()).toEqual(['ISSUED', 'ISSUED', 'REJECTED']);
    }, 60_000);
    await eventually(async () => expect(await soldByProduct(api.api)).toEqual(new Map([[product.id, 2]])), 30_000);

    // The worker's relay now waits out a 10-minute poll: the next payment reaches it as the api's nudge.
    const second = await shop.order(buyer.token, [{ productId: product.id, quantity: 1 }]);
    expect((await shop.api.post(`/orders/${second.id}/pay`, undefined, { token: buyer.token })).status).toBe(200);
    await eventually(async () => expect(await outboxStatuses(shop)).toEqual({ SENT: 2 }), 30_000);
  });

  it('a worker answers its probes and metrics, and nothing of the API', async () => {
    worker ??= await startApp({ ...env.env, APP_ROLE: 'worker' });
    expect((await worker.api.get('/health/live')).status).toBe(200);
    expect((await worker.api.get('/health/ready')).status).toBe(200);
    const metrics = await worker.api.get('/metrics');
    expect([metrics.status, String(metrics.body)]).toEqual([200, expect.stringContaining('outbox_published_total')]);
    // Not through the Api client: a worker's 404s are no answers of the public API, whose contract
    // (docs/openapi.json) the client's record is checked against.
    for (const [method, path] of [
      ['GET', '/products'],
      ['GET', '/docs-json'],
      ['POST', '/auth/login'],
    ]) {
      const answer = await fetch(`${worker.url}${path}`, {
        method,
        ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
      });
      expect([answer.status, ((await answer.json()) as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
    }
  });
});

describe.each(['lock', 'queue'] as const)('api and worker processes side by side (%s strategy)', (strategy) => {
  describeWithEngines(`2 api + workers, ${strategy}`, (engines) => {
    let env: IsolatedEnvironment;
    let cluster: Cluster | undefined;
    let observer: TestApp;
    let shop: Shop;
    let apis: DropTarget[];

    beforeAll(async () => {
      env = await isolatedEnvironment('full', {
        ...ADMIN,
        COUPON_ISSUE_STRATEGY: strategy,
        // A SIGKILLed worker's partitions move after the shortest session the broker allows.
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        LOG_LEVEL: 'warn',
      });
      cluster = await Cluster.start({ api: 2, workers: 1, env: env.env, logDir: join(LOG_DIR, strategy) });
      apis = cluster.apis.map((instance) => ({ api: new Api(instance.url) }));
      // This process's own api instance: the test's admin, its tokens and its reads of the database.
      observer = await startApp({ ...env.env, APP_ROLE: 'api' });
      shop = await Shop.open(observer);
    });

    afterAll(async () => {
      await cluster?.stop();
      await observer?.close();
      await env?.cleanup();
    });

    it('a drop over two api processes and one worker, each user asking three times: exactly the stock, one per user, success if and only if stored', async () => {
      const couponId = await createCoupon(shop, 20);
      const people = (await callers(observer, 60, strategy === 'lock' ? 50_000_000 : 51_000_000)).sort(() => Math.random() - 0.5);
      // A user's three attempts are neighbours, so round robin sends them to both api processes, in flight together.
      const attempts = people.flatMap((person) => [person, person, person]);
      // No fault here: a queued request waits for a fetch and its batch, at worst for a rebalance, which
      // takes a member's session (KAFKA_SESSION_TIMEOUT_MS) and a rejoin. Three sessions, then the drop fails naming who waits.
      const settleTimeoutMs = 3 * Number(env.env.KAFKA_SESSION_TIMEOUT_MS);
      const result = await runDrop(apis, shop, couponId, attempts, { concurrency: 30, settleTimeoutMs });
      // Under the lock, a caller still in line after COUPON_LOCK_WAIT_MS is told to retry (503 COUPON_BUSY).
      const refusals = ['COUPON_SOLD_OUT', 'COUPON_ALREADY_ISSUED', ...(strategy === 'lock' ? ['COUPON_BUSY'] : [])];
      await expectExactDrop(result, 20, refusals, apis[1].api);
    });

    it('a worker joins mid-load and takes partitions, another is SIGKILLed: exactly the stock, every paid order consumed once; SIGTERM leaves cleanly', async () => {
      const product = await shop.product({ price: 1_000, stock: 10_000 });
      const buyers = await inBatches(Array.from({ length: 20 }), 5, () => shop.user(1_000_000));
      const couponId = await createCoupon(shop, 60);
      const people = await callers(observer, 300, strategy === 'lock' ? 52_000_000 : 53_000_000);
      let paidQuantity = 0;
      let paying = true;
      // Orders paid through both api processes the whole time, three units each.
      const payments = (async () => {
        for (let round = 0; paying && round < 200; round++) {
          await Promise.all(
            buyers.map(async (buyer, i) => {
              const target = apis[i % apis.length].api;
              const order = await target.post('/orders', { items: [{ productId: product.id, quantity: 3 }] }, { token: buyer.token });
              if (order.status !== 201) throw new Error(`order: ${order.status} ${JSON.stringify(order.body)}`);
              const paid = await target.post(`/orders/${order.body.id}/pay`, undefined, { token: buyer.token });
              if (paid.status !== 200) throw new Error(`pay: ${paid.status} ${JSON.stringify(paid.body)}`);
              paidQuantity += 3;
            }),
          );
        }
      })();

      // A second worker joins while orders pay: the coupon issuers' group rebalances onto both.
      await cluster!.addWorker();
      await eventually(
        async () => expect(await membersWithPartitions(engines.kafkaBrokers, env, COUPON_ISSUER_GROUP)).toBe(2),
        60_000,
        250,
      );
      // The drop starts, and the first worker dies without a word in the middle of it and of the payments.
      const drop = runDrop(apis, shop, couponId, people);
      const [first] = cluster!.workers;
      // Under way: a copy issued (by an api process under lock, by a worker under queue).
      const issued = async () => (await shop.dataSource.query('SELECT issued_quantity AS n FROM coupons WHERE id = ?', [couponId]))[0].n;
      await eventually(async () => expect(Number(await issued())).toBeGreaterThan(0), 60_000, 10);
      await first.end('SIGKILL');
      expect(first.pid).toBeUndefined();
      // Payments go on without it: a round of them (one per buyer) after the kill, whose events the survivor must publish.
      const paidAtKill = paidQuantity;
      await eventually(() => expect(paidQuantity).toBeGreaterThanOrEqual(paidAtKill + 3 * buyers.length), 60_000, 50);
      paying = false;
      await payments;
      const result = await drop;

      await expectExactDrop(result, 60, ['COUPON_SOLD_OUT', ...(strategy === 'lock' ? ['COUPON_BUSY'] : [])], apis[1].api);
      // The surviving worker publishes what the killed one held, and the consumers dedupe redeliveries.
      await eventually(async () => expect(await outboxStatuses(shop)).toEqual({ SENT: expect.any(Number) }), 60_000, 250);
      const sent = (await outboxStatuses(shop)).SENT;
      expect(sent).toBe(paidQuantity / 3);
      await eventually(async () => expect((await soldByProduct(observer.api)).get(product.id)).toBe(paidQuantity), 60_000, 250);

      // SIGTERM: a worker finishes its batch and leaves its groups. Its session is 5 minutes long, so
      // only a clean leave, not the broker giving up on it, hands its partitions back within the wait.
      const patient = await cluster!.addWorker({ KAFKA_SESSION_TIMEOUT_MS: '300000' });
      await eventually(
        async () => expect(await membersWithPartitions(engines.kafkaBrokers, env, COUPON_ISSUER_GROUP)).toBe(2),
        60_000,
        250,
      );
      await patient.end('SIGTERM');
      await eventually(
        async () => expect(await membersWithPartitions(engines.kafkaBrokers, env, COUPON_ISSUER_GROUP)).toBe(1),
        60_000,
        250,
      );
    });
  });
});
