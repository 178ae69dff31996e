import { callers, createCoupon } from '../support/coupon-drop';
import type { Dependency } from '../../src/platform/http/dependency-errors';
import { BATCH_ATTEMPTS, OUTAGE_RETRY_MAX_MS, RETRY_DELAY_MS } from '../../src/platform/messaging/kafka-message-bus';
import { ADMIN, Shop } from '../support/commerce-fixtures';
import { eventually } from '../support/eventually';
import { metricSample } from '../support/metrics';
import { itWithLocalBroker, localBroker } from '../support/local-broker';
import { describeWithEngines, isolatedEnvironment, type IsolatedEnvironment, withMysql } from '../support/real-engines';
import { TcpProxy } from '../../support/tcp-proxy';
import { type HttpResponse, startApp, type TestApp } from '../support/test-app';

// Budgets these apps run with (the defaults are larger; see .env.example).
const BUDGETS = {
  DB_CONNECT_TIMEOUT_MS: '2000',
  DB_ACQUIRE_TIMEOUT_MS: '2000',
  DB_STATEMENT_TIMEOUT_MS: '2000',
  DB_TRANSACTION_TIMEOUT_MS: '4000',
  REDIS_COMMAND_TIMEOUT_MS: '1000',
  COUPON_LOCK_WAIT_MS: '2000',
};
// Not a latency check: only a request that hangs (the failure under test) takes this long.
const MUST_ANSWER_WITHIN_MS = 30_000;
// The apps here keep their log in memory (startApp's captureLogs) and write the warn lines this file reads.
const LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'warn';

/** How long the consumer runner takes to try a batch `tries` times while a dependency is down (its waits between tries). */
function outageRetriesMs(tries: number): number {
  let total = 0;
  for (let outage = 1; outage < tries; outage++) total += Math.min(RETRY_DELAY_MS * outage, OUTAGE_RETRY_MAX_MS);
  return total;
}

/** The times the closing report quotes: from the fault to the last 503, from recovery to the first success. */
function report(what: string, ms: number): void {
  process.stdout.write(`[dependency-faults] ${what}: ${ms} ms\n`);
}

function expectUnavailable(response: HttpResponse, code = 'SERVICE_UNAVAILABLE'): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status: 503, code });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  // The dependency is named in the log, never in the answer.
  expect(JSON.stringify(response.body)).not.toMatch(/mysql|redis|kafka|ECONN|timeout/i);
}

/**
 * The dependency is named in the log: the line `"<dependency> unavailable"` (the problem filter's,
 * also for the lock's and the queue's own 503 codes, from their cause), written since `since`, with the error.
 */
function expectLoggedUnavailable(app: TestApp, dependency: Dependency, since: number, error = /./): string {
  const lines = app
    .logs!.entries(since)
    .filter((entry) => entry.msg === `${dependency} unavailable`)
    .map((entry) => ({ level: entry.level, dependency: entry.dependency, error: String(entry.error) }));
  expect(lines).toContainEqual({ level: 40, dependency, error: expect.stringMatching(error) });
  return lines.find((line) => error.test(line.error))!.error;
}

/** Retries `attempt` until it succeeds; returns how long that took after `since`. */
async function firstSuccess(since: number, attempt: () => Promise<HttpResponse>, isSuccess: (r: HttpResponse) => boolean): Promise<number> {
  await eventually(async () => expect(isSuccess(await attempt())).toBe(true), 60_000, 50);
  return Date.now() - since;
}

/** A user with points and `count` pending orders of one product. */
async function pendingOrdersOf(shop: Shop, count: number) {
  const product = await shop.product({ price: 1_000, stock: 1_000 });
  const user = await shop.user(100_000);
  const orders = [];
  for (let i = 0; i < count; i++) orders.push(await shop.order(user.token, [{ productId: product.id, quantity: 1 }]));
  return { user, product, orders };
}

const payOn = (app: TestApp, token: string, orderId: number, headers: Record<string, string> = {}) =>
  app.api.post(`/orders/${orderId}/pay`, undefined, { token, headers, timeoutMs: MUST_ANSWER_WITHIN_MS });

describeWithEngines('every request ends, and ends honestly, when MySQL or Redis fail (full profile)', (engines) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let shop: Shop;
  let mysqlProxy: TcpProxy;
  let redisProxy: TcpProxy;

  beforeAll(async () => {
    mysqlProxy = await new TcpProxy(engines.db.host, engines.db.port).start();
    redisProxy = await TcpProxy.forUrl(engines.redisUrl, 6379).start();
    env = await isolatedEnvironment('full', {
      ...ADMIN,
      ...BUDGETS,
      COUPON_ISSUE_STRATEGY: 'lock',
      DB_HOST: '127.0.0.1',
      DB_PORT: String(mysqlProxy.port),
      REDIS_URL: redisProxy.through(engines.redisUrl),
      LOG_LEVEL,
    });
    app = await startApp(env.env, { captureLogs: true });
    shop = await Shop.open(app);
  });

  afterEach(async () => {
    await mysqlProxy.restore();
    await redisProxy.restore();
  });

  afterAll(async () => {
    await app?.close();
    await mysqlProxy?.stop();
    await redisProxy?.stop();
    await env?.cleanup();
  });

  const pendingOrders = (count: number) => pendingOrdersOf(shop, count);
  const pay = (token: string, orderId: number, headers: Record<string, string> = {}) => payOn(app, token, orderId, headers);

  it('Redis silent: 20 concurrent lock-strategy issues answer 503 LOCK_UNAVAILABLE within the lock wait; issuing resumes when Redis answers', async () => {
    const couponId = await createCoupon(shop, 10);
    const people = await callers(app, 21, 40_000_000);
    await redisProxy.silent();
    const faultAt = Date.now();
    const responses = await Promise.all(
      people
        .slice(0, 20)
        .map((p) => app.api.post(`/coupons/${couponId}/issue`, undefined, { token: p.token, timeoutMs: MUST_ANSWER_WITHIN_MS })),
    );
    report('redis silent -> last of 20 coupon issues answered 503', Date.now() - faultAt);
    for (const response of responses) expectUnavailable(response, 'LOCK_UNAVAILABLE');
    expectLoggedUnavailable(app, 'redis', faultAt);

    await redisProxy.restore();
    const recoveredIn = await firstSuccess(
      Date.now(),
      () => app.api.post(`/coupons/${couponId}/issue`, undefined, { token: people[20].token, timeoutMs: MUST_ANSWER_WITHIN_MS }),
      (r) => r.status === 201,
    );
    report('redis back (silent) -> first coupon issued', recoveredIn);
    const coupon = await app.api.get(`/coupons/${couponId}`);
    expect(coupon.body).toMatchObject({ totalQuantity: 10, issuedQuantity: 1 });
  });

  it('Redis silent, then its connection dropped: the client connects again and issuing resumes', async () => {
    const couponId = await createCoupon(shop, 10);
    const [first, second] = await callers(app, 2, 40_100_000);
    const issue = (token: string) => app.api.post(`/coupons/${couponId}/issue`, undefined, { token, timeoutMs: MUST_ANSWER_WITHIN_MS });
    // A command times out: commands fail fast until a PING is answered.
    await redisProxy.silent();
    expectUnavailable(await issue(first.token), 'LOCK_UNAVAILABLE');
    // The connection drops before any PING was answered; the new connection's handshake must still go through.
    await redisProxy.cut();
    await redisProxy.restore();
    const recoveredIn = await firstSuccess(
      Date.now(),
      () => issue(second.token),
      (r) => r.status === 201,
    );
    report('redis back (silent, then dropped) -> first coupon issued', recoveredIn);
  });

  it('Redis down: top sellers answer 503 with Retry-After, then 200 again', async () => {
    await redisProxy.cut();
    const faultAt = Date.now();
    await eventually(
      async () => expectUnavailable(await app.api.get('/products/top-sellers', { timeoutMs: MUST_ANSWER_WITHIN_MS })),
      10_000,
      50,
    );
    report('redis cut -> top sellers 503', Date.now() - faultAt);
    expectLoggedUnavailable(app, 'redis', faultAt);
    await redisProxy.restore();
    const recoveredIn = await firstSuccess(
      Date.now(),
      () => app.api.get('/products/top-sellers'),
      (r) => r.status === 200,
    );
    report('redis back (cut) -> first top sellers 200', recoveredIn);
  });

  it("Redis down while order events arrive: the consumer retries past a failing batch's tries, dead-letters nothing, and top sellers count every paid order once it is back", async () => {
    const { user, product, orders } = await pendingOrders(3);
    const metric = async (series: string) => metricSample((await app.api.get('/metrics')).body, series);
    const failures = () => metric('consumer_failures_total{group="top-sellers"}');
    const failedBefore = (await failures())!;
    await redisProxy.cut();
    const faultAt = Date.now();
    // Payments need only MySQL; their events reach the top-sellers consumer while its store is down.
    for (const order of orders) expect((await pay(user.token, order.id)).status).toBe(200);
    // The fault landed and lasted: the consumer failed on these events more often than the runner
    // tries failing batches before it dead-letters their messages (BATCH_ATTEMPTS each, and each
    // event may arrive in a batch of its own), so only waiting out the outage keeps them.
    const poisonBudget = orders.length * BATCH_ATTEMPTS;
    await eventually(
      async () => expect((await failures())! - failedBefore).toBeGreaterThan(poisonBudget),
      MUST_ANSWER_WITHIN_MS + outageRetriesMs(poisonBudget + 1),
      100,
    );
    expect(app.logs!.entries(faultAt).map((entry) => entry.msg)).toContainEqual(expect.stringMatching(/^top-sellers: batch of \d+ failed/));
    await redisProxy.restore();
    await eventually(async () => {
      const top = await app.api.get('/products/top-sellers?days=2&limit=50');
      expect(top.body.items.find((item: { productId: number }) => item.productId === product.id)).toMatchObject({ soldQuantity: 3 });
    }, 60_000);
    expect(await metric('consumer_dead_lettered_total{group="top-sellers"}')).toBe(0);
  });

  it('MySQL silent: payments answer 503 within the budgets, nothing is applied, and the pool recovers by itself', async () => {
    const { user, product, orders } = await pendingOrders(4);
    const balance = await shop.balance(user.token);
    await mysqlProxy.silent();
    const faultAt = Date.now();
    const responses = await Promise.all(
      orders.slice(0, 3).map((order) => pay(user.token, order.id, { 'Idempotency-Key': `silent-${order.id}` })),
    );
    report('mysql silent -> last of 3 payments answered 503', Date.now() - faultAt);
    for (const response of responses) expectUnavailable(response);
    expectLoggedUnavailable(app, 'mysql', faultAt, /did not complete within/);

    await mysqlProxy.restore();
    const recoveredIn = await firstSuccess(
      Date.now(),
      () => pay(user.token, orders[3].id),
      (r) => r.status === 200,
    );
    report('mysql back (silent) -> first payment 200', recoveredIn);
    // More concurrent requests than the pool has connections: none is stuck behind a dead one.
    const reads = await Promise.all(
      Array.from({ length: 40 }, () => app.api.get(`/products/${product.id}`, { timeoutMs: MUST_ANSWER_WITHIN_MS })),
    );
    expect(reads.map((r) => r.status)).toEqual(reads.map(() => 200));
    // The three that answered 503 were not applied: they pay now, once, with the same keys.
    for (const order of orders.slice(0, 3)) {
      expect((await app.api.get(`/orders/${order.id}`, { token: user.token })).body.status).toBe('PENDING');
      expect((await pay(user.token, order.id, { 'Idempotency-Key': `silent-${order.id}` })).status).toBe(200);
    }
    expect(await shop.balance(user.token)).toBe(balance - 4 * 1_000);
  });

  it('MySQL down: payments answer 503 with Retry-After, not 500, and succeed once it is back', async () => {
    const { user, orders } = await pendingOrders(6);
    await mysqlProxy.cut();
    const faultAt = Date.now();
    const responses = await Promise.all(orders.slice(0, 5).map((order) => pay(user.token, order.id)));
    report('mysql cut -> last of 5 payments answered 503', Date.now() - faultAt);
    for (const response of responses) expectUnavailable(response);
    expectLoggedUnavailable(app, 'mysql', faultAt);

    await mysqlProxy.restore();
    const recoveredIn = await firstSuccess(
      Date.now(),
      () => pay(user.token, orders[5].id),
      (r) => r.status === 200,
    );
    report('mysql back (cut) -> first payment 200', recoveredIn);
    for (const order of orders.slice(0, 5)) expect((await pay(user.token, order.id)).status).toBe(200);
  });

  it('an idempotent payment whose database connection fails right after COMMIT still replays its reply', async () => {
    const { user, orders } = await pendingOrders(1);
    const [order] = orders;
    const balance = await shop.balance(user.token);
    const headers = { 'Idempotency-Key': `after-commit-${order.id}` };
    // On the connection that moves the order to PAID: its COMMIT is acknowledged, then MySQL is gone.
    const cut = mysqlProxy.cutAfterReplyTo([/UPDATE orders SET status = 'PAID'/, /COMMIT/]);
    const first = await pay(user.token, order.id, headers);
    // The fault landed where it was aimed (patterns that no longer match the SQL would leave the payment uncut).
    await eventually(() => expect(cut.landed).toBe(true), 5_000, 20);
    expect(cut.requests).toEqual([expect.stringContaining("UPDATE orders SET status = 'PAID'"), expect.stringContaining('COMMIT')]);
    await mysqlProxy.restore();

    let retry!: HttpResponse;
    await eventually(
      async () => {
        retry = await pay(user.token, order.id, headers);
        expect(retry.status).not.toBe(503);
      },
      30_000,
      100,
    );
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toMatchObject({ id: order.id, status: 'PAID' });
    // The client saw the payment succeed, or can learn it from the retry: never charged twice.
    expect(first.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await shop.balance(user.token)).toBe(balance - order.finalAmount);
    // The app saw its connections drop: it had to open new ones to answer the retry.
    expect(mysqlProxy.accepted).toBeGreaterThan(cut.acceptedAtCut);
  });
});

describeWithEngines('the other MySQL budgets: pool wait, transaction, connect (full profile, a pool of one connection)', (engines) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let shop: Shop;
  let mysqlProxy: TcpProxy;
  // One pooled connection, so one held statement exhausts the pool. The budgets are the file's,
  // except two, so that the budget under test is the one that runs out first (the log line names
  // which did): connect 2000 < pool wait 3000 < transaction 4000 < statement 6000.
  const POOL_BUDGETS = { ...BUDGETS, DB_POOL_SIZE: '1', DB_ACQUIRE_TIMEOUT_MS: '3000', DB_STATEMENT_TIMEOUT_MS: '6000' };

  beforeAll(async () => {
    mysqlProxy = await new TcpProxy(engines.db.host, engines.db.port).start();
    env = await isolatedEnvironment('full', {
      ...ADMIN,
      ...POOL_BUDGETS,
      DB_HOST: '127.0.0.1',
      DB_PORT: String(mysqlProxy.port),
      // The relay polls the database every second; here only the requests under test should use the connection.
      OUTBOX_POLL_INTERVAL_MS: '600000',
      LOG_LEVEL,
    });
    app = await startApp(env.env, { captureLogs: true });
    shop = await Shop.open(app);
  });

  afterEach(async () => {
    await mysqlProxy.restore();
  });

  afterAll(async () => {
    await app?.close();
    await mysqlProxy?.stop();
    await env?.cleanup();
  });

  const readOrder = (token: string, orderId: number) => app.api.get(`/orders/${orderId}`, { token, timeoutMs: MUST_ANSWER_WITHIN_MS });

  /** The pool serves again: one read, then more concurrent reads than it has connections. */
  async function expectPoolServes(token: string, orderId: number, since: number): Promise<number> {
    const recoveredIn = await firstSuccess(
      since,
      () => readOrder(token, orderId),
      (r) => r.status === 200,
    );
    const reads = await Promise.all(Array.from({ length: 10 }, () => readOrder(token, orderId)));
    expect(reads.map((r) => r.status)).toEqual(reads.map(() => 200));
    return recoveredIn;
  }

  it('pool wait: with its one connection held by a silent statement, another request answers 503 after DB_ACQUIRE_TIMEOUT_MS; the pool serves again once MySQL answers', async () => {
    const { user, orders } = await pendingOrdersOf(shop, 2);
    expect((await readOrder(user.token, orders[0].id)).status).toBe(200); // the connection is open and idle
    await mysqlProxy.silent();
    const faultAt = Date.now();
    // Takes the one connection; its statement gets no answer until the statement budget ends it.
    const holderStatement = mysqlProxy.watchFor(/FROM orders o/);
    const holder = readOrder(user.token, orders[0].id);
    // Only once the holder's statement is out on the one connection does the next request have to wait for it.
    await eventually(() => expect(holderStatement.seen).toBe(true), MUST_ANSWER_WITHIN_MS, 10);
    const waiterAt = Date.now();
    const waiter = await readOrder(user.token, orders[1].id);
    report('mysql silent, pool of 1 held -> waiting request answered 503', Date.now() - waiterAt);
    expectUnavailable(waiter);
    expectLoggedUnavailable(app, 'mysql', faultAt, /no database connection within 3000 ms/);
    const held = await holder;
    report('mysql silent, pool of 1 held -> the holding request answered 503', Date.now() - faultAt);
    expectUnavailable(held);

    await mysqlProxy.restore();
    report('mysql back (pool of 1 was held) -> first read 200', await expectPoolServes(user.token, orders[1].id, Date.now()));
  });

  it('transaction: a payment whose transaction outlives DB_TRANSACTION_TIMEOUT_MS (blocked on a row lock) answers 503, is rolled back, and its connection is not left stuck', async () => {
    const { user, orders } = await pendingOrdersOf(shop, 2);
    const [order, next] = orders;
    const balance = await shop.balance(user.token);
    // Another session holds the order's row: the payment's first UPDATE waits, well inside the
    // statement budget and the server's lock-wait timeout, until the transaction budget ends it.
    const blocked = await withMysql(
      engines,
      async (connection) => {
        await connection.query('START TRANSACTION');
        await connection.query('SELECT id FROM orders WHERE id = ? FOR UPDATE', [order.id]);
        const faultAt = Date.now();
        const response = await payOn(app, user.token, order.id);
        report('mysql row lock held -> payment answered 503 (transaction budget)', Date.now() - faultAt);
        expectUnavailable(response);
        expectLoggedUnavailable(app, 'mysql', faultAt, /transaction did not complete within 4000 ms/);
        await connection.query('ROLLBACK');
        return response;
      },
      env.env.DB_NAME,
    );
    expect(blocked.status).toBe(503);

    // Rolled back, and the pool's one connection serves the next requests.
    const recoveredAt = Date.now();
    report('mysql row lock released -> first read 200', await expectPoolServes(user.token, order.id, recoveredAt));
    expect((await readOrder(user.token, order.id)).body.status).toBe('PENDING');
    expect(await shop.balance(user.token)).toBe(balance);
    expect((await payOn(app, user.token, order.id)).status).toBe(200);
    expect((await payOn(app, user.token, next.id)).status).toBe(200);
    expect(await shop.balance(user.token)).toBe(balance - 2 * 1_000);
  });

  it('connect: MySQL accepting connections but never answering the handshake gives 503 after DB_CONNECT_TIMEOUT_MS, and connections open again once it answers', async () => {
    const { user, orders } = await pendingOrdersOf(shop, 1);
    // Dropping every connection empties the pool, so the next request has to open a new one ...
    await mysqlProxy.cut();
    await eventually(async () => expect((await readOrder(user.token, orders[0].id)).status).toBe(503), 10_000, 50);
    // ... which a silent server accepts and never greets.
    await mysqlProxy.silent();
    const faultAt = Date.now();
    const response = await readOrder(user.token, orders[0].id);
    report('mysql silent at connect -> read answered 503', Date.now() - faultAt);
    expectUnavailable(response);
    const logged = expectLoggedUnavailable(app, 'mysql', faultAt);
    process.stdout.write(`[dependency-faults] mysql silent at connect: logged ${JSON.stringify(logged)}\n`);
    expect(logged).not.toMatch(/no database connection|did not complete/);

    await mysqlProxy.restore();
    report('mysql back (silent at connect) -> first read 200', await expectPoolServes(user.token, orders[0].id, Date.now()));
  });
});

describeWithEngines('every request ends, and ends honestly, when Kafka goes silent (full profile, queue strategy)', (engines) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let shop: Shop;
  // Paused in place (SIGSTOP), by the broker's pid when the test runs.
  const broker = localBroker(engines);

  beforeAll(async () => {
    if (!broker) return;
    env = await isolatedEnvironment('full', { ...ADMIN, COUPON_ISSUE_STRATEGY: 'queue', KAFKA_PRODUCE_TIMEOUT_MS: '3000', LOG_LEVEL });
    app = await startApp(env.env, { captureLogs: true });
    shop = await Shop.open(app);
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  // A stopped (SIGSTOP) broker keeps its connections open and answers nothing, as a partition does.
  itWithLocalBroker(broker)(
    'a silent broker: the issue request answers 503 QUEUE_UNAVAILABLE within the produce budget; queuing resumes when it answers',
    async () => {
      const couponId = await createCoupon(shop, 10);
      const people = await callers(app, 3, 41_000_000);
      const issue = (token: string) => app.api.post(`/coupons/${couponId}/issue`, undefined, { token, timeoutMs: MUST_ANSWER_WITHIN_MS });
      expect((await issue(people[0].token)).status).toBe(202); // producer connected, topic created

      await broker!.pause();
      const faultAt = Date.now();
      let silent: HttpResponse | undefined;
      try {
        silent = await issue(people[1].token);
        report('kafka silent -> coupon issue (queue) answered 503', Date.now() - faultAt);
      } finally {
        broker!.resume();
      }
      expectUnavailable(silent, 'QUEUE_UNAVAILABLE');
      expectLoggedUnavailable(app, 'kafka', faultAt, /not acknowledged within/);
      const recoveredIn = await firstSuccess(
        Date.now(),
        () => issue(people[2].token),
        (r) => r.status === 202,
      );
      report('kafka back (silent) -> first issue queued', recoveredIn);
    },
  );
});
