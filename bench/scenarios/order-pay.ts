import { type AppUnderTest } from '../../support/app-under-test';
import {
  canReadDatabase,
  type Check,
  count,
  describeStatuses,
  inFlightLimit,
  type Measurement,
  type Scenario,
  type ScenarioContext,
  settled,
  warmUp,
} from './scenario';
import { localEngines } from '../../support/isolated-resources';
import { describeEngineCpu, engineCpuMs, engineCpuPerOp } from '../lib/engine-cpu';
import { EventLatencyConsumer } from '../lib/event-latency-consumer';
import { statementCounts, statementMix } from '../lib/statement-mix';
import { percentiles, runLoad } from '../lib/load';

const PRODUCTS = 100;
const BUYERS = 200;
const PRICE = 100;

/** Where the app's work runs: one process for everything, or the HTTP API and the background work apart. */
export type Topology = 'all' | 'split';

/**
 * The app processes of a topology: `all` is one APP_ROLE=all process; `split` is one APP_ROLE=api
 * process taking the requests and one APP_ROLE=worker process running the relay and the consumers.
 * Only one topology's processes run at a time (another's relay or consumers would share the work).
 */
export async function appsFor(
  ctx: ScenarioContext,
  topology: Topology,
  strategy: 'lock' | 'queue' = 'lock',
): Promise<{ api: AppUnderTest; worker?: AppUnderTest }> {
  const env = { COUPON_ISSUE_STRATEGY: strategy };
  if (topology === 'all') {
    // 'lock' is the process the other lock-strategy scenarios share.
    const name = strategy === 'lock' ? 'lock' : `${strategy}-all`;
    await ctx.keepOnlyApps([name]);
    return { api: await ctx.app(name, env) };
  }
  const [api, worker] = [`split-${strategy}-api`, `split-${strategy}-worker`];
  await ctx.keepOnlyApps([api, worker]);
  // The worker's CPU is the background work's: the app CPU column is the api process's.
  return { worker: await ctx.app(worker, { ...env, APP_ROLE: 'worker' }), api: await ctx.app(api, { ...env, APP_ROLE: 'api' }) };
}

/**
 * Checkout: create an order for one of 100 products, then pay it (stock, points, outbox in one
 * transaction). A Kafka consumer in its own process times each `order.completed` from its occurredAt.
 * Run as one process (`order-pay`) and as 1 api + 1 worker (`order-pay-split`).
 */
export const orderPay: Scenario = orderPayScenario('all');
export const orderPaySplit: Scenario = orderPayScenario('split');

function orderPayScenario(topology: Topology): Scenario {
  const as = topology === 'all' ? '' : ' (1 api + 1 worker)';
  return {
    name: topology === 'all' ? 'order-pay' : 'order-pay-split',
    description:
      'POST /orders then POST /orders/{id}/pay over 100 products and 200 buyers; outbox commit-to-Kafka latency' +
      (topology === 'all' ? '' : '; requests on an APP_ROLE=api process, relay and consumers on an APP_ROLE=worker process'),
    defaultConnections: 100,
    run: (ctx, measure, check) => runOrderPay(ctx, measure, check, topology, as),
  };
}

async function runOrderPay(
  ctx: ScenarioContext,
  measure: (m: Measurement) => void,
  check: (c: Check) => void,
  topology: Topology,
  as: string,
): Promise<void> {
  const { api: app, worker } = await appsFor(ctx, topology);
  // Products of this run's checkout, apart from another topology's (same database).
  const category = `bench-checkout-${topology}`;
  const productIds: number[] = [];
  for (let i = 0; i < PRODUCTS; i++) {
    productIds.push(
      (
        await app.expect(201, 'POST', '/admin/products', {
          name: `Checkout item ${i}`,
          price: PRICE,
          stock: 100_000_000,
          category,
        })
      ).id,
    );
  }
  const buyers = ctx.env.users(BUYERS);
  for (const buyer of buyers) await app.expect(200, 'POST', '/points/charge', { amount: 1_000_000 }, buyer.token);

  // Each order.completed timed on arrival in a process of its own, from its occurredAt and to the
  // record's timestamp: commit and relay pass before the send, broker ack and fetch after it.
  const consumer = await EventLatencyConsumer.start(
    localEngines.kafkaBrokers,
    `${ctx.env.topicPrefix}order.completed`,
    `${ctx.env.topicPrefix}bench-outbox-latency`,
  );
  try {
    const requests = checkoutRequests(buyers, productIds);
    const warmup = await warmUp(app, ctx, requests);
    const consumedBefore = new Set((await consumer.timings()).map((timing) => timing.orderId));
    const statementsBefore = canReadDatabase() ? await statementCounts(ctx.env.db()) : undefined;
    await app.eventLoopDelayMs(); // starts the window
    const enginesBefore = engineCpuMs();
    const workerCpuBefore = worker?.cpuMs();
    const load = await runLoad(app, { durationS: ctx.options.durationS, connections: ctx.connections, requests });
    const workerCpuMs = worker?.cpuMs();
    const workerCpuMsPerOrder =
      workerCpuBefore !== undefined && workerCpuMs !== undefined && count(load, 200) > 0
        ? Math.round(((workerCpuMs - workerCpuBefore) / count(load, 200)) * 1000) / 1000
        : undefined;
    // The app CPU column is the api process's; the relay and the consumers ran here.
    if (workerCpuMsPerOrder !== undefined) ctx.log(`  worker process CPU per paid order: ${workerCpuMsPerOrder} ms`);
    // What the engines did per paid order: the loop baseline prints the same for its orders. The
    // app's include its outbox relay and consumers, which the loop does not run (no Kafka).
    const engineCpuMsPerOrder = engineCpuPerOp(enginesBefore, engineCpuMs(), count(load, 200));
    const engineCpu = describeEngineCpu(engineCpuMsPerOrder);
    if (engineCpu) ctx.log(`  engines' CPU per paid order: ${engineCpu}`);
    // The relay runs on the app's event loop: each of its awaits waits this long behind requests.
    const eventLoopDelayMs = await app.eventLoopDelayMs();
    if (eventLoopDelayMs)
      ctx.log(
        `  app event-loop delay during the load: p50 ${eventLoopDelayMs.p50} ms, p99 ${eventLoopDelayMs.p99} ms, max ${eventLoopDelayMs.max} ms`,
      );
    const paid = count(load, 200);
    // Statements the server ran per paid order (the baseline loop runs 13): the app's own
    // requests, its outbox relay and anything else it does meanwhile, from the server's counters.
    const statements = statementsBefore && paid > 0 ? statementMix(statementsBefore, await statementCounts(ctx.env.db()), paid) : undefined;
    if (statements) ctx.log(`  statements per paid order (server counters): ${statements.text}`);
    const statementsPerOrder = statements?.total;
    measure({
      label: `order create + pay (paid/s)${as}`,
      value: paid / load.durationS,
      unit: 'paid/s',
      load,
      baseline: 'order-pay-sql',
      target: { minRatio: 0.6 },
      extra: { statementsPerOrder, engineCpuMsPerOrder, workerCpuMsPerOrder },
    });
    // The loop does not publish what it records; the app does. The same loop with a bare relay and
    // consumer does all of the app's I/O: the app against it, and it against the plain loop, say
    // how much of the gap is publishing and how much is the app.
    measure({
      label: `order create + pay vs the loop that publishes${as}`,
      value: paid / load.durationS,
      unit: 'paid/s',
      load,
      baseline: 'order-pay-sql-outbox',
      target: { minRatio: 0.6 },
    });
    measure({
      label: `the loop that publishes (no app code)${as}`,
      value: 0,
      rateOfBaseline: 'order-pay-sql-outbox',
      unit: 'paid/s',
      baseline: 'order-pay-sql',
    });
    check({
      name: `every create 201 and every pay 200${as}`,
      ok: count(load, 201) >= paid && paid + count(load, 201) === load.responses && load.errors === 0,
      detail: describeStatuses(load),
    });

    const paidSeen = paid + (warmup ? count(warmup, 200) : 0);
    // Pays in flight when the timed run stopped still commit; the database says how many.
    const paidTotal = canReadDatabase() ? await settled(() => paidRows(ctx, category)) : paidSeen;
    const deadline = Date.now() + 30_000;
    // The consumer's group reads the topic from the start: another topology's orders are not this run's.
    const ours = canReadDatabase() ? new Set(await paidOrderIds(ctx, category)) : undefined;
    const consumedOurs = async () => (await consumer.timings()).filter((timing) => !ours || ours.has(timing.orderId));
    while ((await consumedOurs()).length < paidTotal && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const consumed = await consumedOurs();
    const timed = consumed.filter((timing) => !consumedBefore.has(timing.orderId));
    const latencies = timed.map((ms) => ms.total);
    const outbox = percentiles(latencies);
    const toSendMs = percentiles(timed.map((ms) => ms.toSend));
    const afterSendMs = percentiles(timed.map((ms) => ms.total - ms.toSend));
    ctx.log(
      `  outbox latency in two parts: occurredAt → relay's send p50 ${toSendMs.p50} ms, p99 ${toSendMs.p99} ms; ` +
        `send → consumed p50 ${afterSendMs.p50} ms, p99 ${afterSendMs.p99} ms`,
    );
    measure({
      label: `outbox commit → Kafka consumer${as}`,
      value: outbox.p99,
      unit: 'ms p99',
      latencyMs: outbox,
      target: { maxP99Ms: 100 },
      extra: { events: latencies.length, eventLoopDelayMs, toSendMs, afterSendMs, samplesMs: sample(latencies, 2_000) },
    });
    check({
      name: `one order.completed consumed per paid order${as}`,
      ok: consumed.length === paidTotal,
      detail: `paid ${paidTotal}, events ${consumed.length}`,
    });
    if (canReadDatabase()) {
      const sold = await ctx.env.count('SELECT SUM(100000000 - stock) AS n FROM products WHERE category = ?', [category]);
      check({
        name: `PAID orders = units sold >= 200s seen${as}`,
        ok: sold === paidTotal && paidTotal >= paidSeen && paidTotal <= paidSeen + inFlightLimit(ctx.connections, warmup),
        detail: `paid rows ${paidTotal}, 200s seen ${paidSeen}, units sold ${sold}`,
      });
    }
  } finally {
    await consumer.stop();
  }
}

/** One checkout per autocannon round: a random buyer orders one unit of a random product, then pays for it. */
export function checkoutRequests(buyers: Array<{ token: string }>, productIds: number[]) {
  const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];
  return [
    {
      method: 'POST' as const,
      path: '/orders',
      setupRequest: (request: any, context: any) => {
        context.auth = `Bearer ${pick(buyers).token}`;
        return {
          ...request,
          headers: { ...request.headers, 'content-type': 'application/json', authorization: context.auth },
          body: JSON.stringify({ items: [{ productId: pick(productIds), quantity: 1 }] }),
        };
      },
      onResponse: (status: number, body: string, context: any) => {
        context.orderId = status === 201 ? JSON.parse(body).id : 0;
      },
    },
    {
      method: 'POST' as const,
      path: '/orders/0/pay',
      setupRequest: (request: any, context: any) => ({
        ...request,
        path: `/orders/${context.orderId}/pay`,
        headers: { ...request.headers, authorization: context.auth },
      }),
    },
  ];
}

/** Up to `max` values picked at random: enough for the latency distribution chart, small in the JSON. */
function sample(values: number[], max: number): number[] {
  if (values.length <= max) return values;
  return Array.from({ length: max }, () => values[Math.floor(Math.random() * values.length)]);
}

const PAID_OF_CATEGORY =
  "FROM orders o JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id WHERE o.status = 'PAID' AND p.category = ?";

async function paidRows(ctx: ScenarioContext, category: string): Promise<number> {
  return ctx.env.count(`SELECT COUNT(DISTINCT o.id) AS n ${PAID_OF_CATEGORY}`, [category]);
}

async function paidOrderIds(ctx: ScenarioContext, category: string): Promise<number[]> {
  const [rows] = (await ctx.env.db().query(`SELECT DISTINCT o.id AS id ${PAID_OF_CATEGORY}`, [category])) as unknown as [
    Array<{ id: number }>,
  ];
  return rows.map((row) => Number(row.id));
}
