import type { Consumer, Kafka } from 'kafkajs';
import { canReadDatabase, count, describeStatuses, inFlightLimit, type Scenario, type ScenarioContext, settled } from './scenario';
import { percentiles, runLoad } from '../lib/load';

const PRODUCTS = 100;
const BUYERS = 200;
const PRICE = 100;

/**
 * Checkout: create an order for one of 100 products, then pay it (stock, points, outbox in one
 * transaction). A Kafka consumer in the bench times each `order.completed` from its occurredAt.
 */
export const orderPay: Scenario = {
  name: 'order-pay',
  description: 'POST /orders then POST /orders/{id}/pay over 100 products and 200 buyers; outbox commit-to-Kafka latency',
  defaultConnections: 100,
  async run(ctx, measure, check) {
    const app = await ctx.app('lock', { COUPON_ISSUE_STRATEGY: 'lock' });
    const productIds: number[] = [];
    for (let i = 0; i < PRODUCTS; i++) {
      productIds.push(
        (
          await app.expect(201, 'POST', '/admin/products', {
            name: `Checkout item ${i}`,
            price: PRICE,
            stock: 100_000_000,
            category: 'bench-checkout',
          })
        ).id,
      );
    }
    const buyers = ctx.env.users(BUYERS);
    for (const buyer of buyers) await app.expect(200, 'POST', '/points/charge', { amount: 1_000_000 }, buyer.token);

    // orderId -> ms from occurredAt to consumption, and to the record's timestamp (the relay's
    // producer stamps it when it sends): commit and relay pass before it, broker ack and fetch after.
    const consumed = new Map<number, { total: number; toSend: number }>();
    const consumer = await startEventConsumer(
      ctx.env.kafka,
      `${ctx.env.topicPrefix}order.completed`,
      `${ctx.env.topicPrefix}bench-outbox-latency`,
      (value, sentAt) => {
        const occurredAt = Date.parse(value.occurredAt);
        if (!consumed.has(value.orderId)) consumed.set(value.orderId, { total: Date.now() - occurredAt, toSend: sentAt - occurredAt });
      },
    );
    try {
      const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];
      const requests = [
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
      const warmup =
        ctx.options.warmupS > 0
          ? await runLoad(app, { durationS: ctx.options.warmupS, connections: ctx.connections, requests })
          : undefined;
      const consumedBefore = new Set(consumed.keys());
      const statementsBefore = canReadDatabase() ? await statementsRun(ctx) : undefined;
      await app.eventLoopDelayMs(); // starts the window
      const load = await runLoad(app, { durationS: ctx.options.durationS, connections: ctx.connections, requests });
      // The relay runs on the app's event loop: each of its awaits waits this long behind requests.
      const eventLoopDelayMs = await app.eventLoopDelayMs();
      if (eventLoopDelayMs)
        ctx.log(
          `  app event-loop delay during the load: p50 ${eventLoopDelayMs.p50} ms, p99 ${eventLoopDelayMs.p99} ms, max ${eventLoopDelayMs.max} ms`,
        );
      const paid = count(load, 200);
      // Statements the server ran per paid order (the baseline loop runs 13): the app's own
      // requests, its outbox relay and anything else it does meanwhile, from the server's counters.
      const statementsPerOrder =
        statementsBefore !== undefined && paid > 0
          ? Math.round((((await statementsRun(ctx)) - statementsBefore) / paid) * 10) / 10
          : undefined;
      if (statementsPerOrder !== undefined) ctx.log(`  statements per paid order (server Questions): ${statementsPerOrder}`);
      measure({
        label: 'order create + pay (paid/s)',
        value: paid / load.durationS,
        unit: 'paid/s',
        load,
        baseline: 'order-pay-sql',
        target: { minRatio: 0.6 },
        extra: { statementsPerOrder },
      });
      check({
        name: 'every create 201 and every pay 200',
        ok: count(load, 201) >= paid && paid + count(load, 201) === load.responses && load.errors === 0,
        detail: describeStatuses(load),
      });

      const paidSeen = paid + (warmup ? count(warmup, 200) : 0);
      // Pays in flight when the timed run stopped still commit; the database says how many.
      const paidTotal = canReadDatabase() ? await settled(() => paidRows(ctx)) : paidSeen;
      const deadline = Date.now() + 30_000;
      while (consumed.size < paidTotal && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      const timed = [...consumed].filter(([orderId]) => !consumedBefore.has(orderId)).map(([, ms]) => ms);
      const latencies = timed.map((ms) => ms.total);
      const outbox = percentiles(latencies);
      const toSendMs = percentiles(timed.map((ms) => ms.toSend));
      const afterSendMs = percentiles(timed.map((ms) => ms.total - ms.toSend));
      ctx.log(
        `  outbox latency in two parts: occurredAt → relay's send p50 ${toSendMs.p50} ms, p99 ${toSendMs.p99} ms; ` +
          `send → consumed p50 ${afterSendMs.p50} ms, p99 ${afterSendMs.p99} ms`,
      );
      measure({
        label: 'outbox commit → Kafka consumer',
        value: outbox.p99,
        unit: 'ms p99',
        latencyMs: outbox,
        target: { maxP99Ms: 100 },
        extra: { events: latencies.length, eventLoopDelayMs, toSendMs, afterSendMs, samplesMs: sample(latencies, 2_000) },
      });
      check({
        name: 'one order.completed consumed per paid order',
        ok: consumed.size === paidTotal,
        detail: `paid ${paidTotal}, events ${consumed.size}`,
      });
      if (canReadDatabase()) {
        const sold = await ctx.env.count('SELECT SUM(100000000 - stock) AS n FROM products WHERE category = ?', ['bench-checkout']);
        check({
          name: 'PAID orders = units sold >= 200s seen',
          ok: sold === paidTotal && paidTotal >= paidSeen && paidTotal <= paidSeen + inFlightLimit(ctx.connections, warmup),
          detail: `paid rows ${paidTotal}, 200s seen ${paidSeen}, units sold ${sold}`,
        });
      }
    } finally {
      await consumer.disconnect();
    }
  },
};

/** Up to `max` values picked at random: enough for the latency distribution chart, small in the JSON. */
function sample(values: number[], max: number): number[] {
  if (values.length <= max) return values;
  return Array.from({ length: max }, () => values[Math.floor(Math.random() * values.length)]);
}

/** The server's count of statements from every client (the run holds the engines to itself). */
async function statementsRun(ctx: ScenarioContext): Promise<number> {
  const [rows] = (await ctx.env.db().query("SHOW GLOBAL STATUS LIKE 'Questions'")) as unknown as [Array<{ Value: string }>];
  return Number(rows[0]?.Value ?? 0);
}

async function paidRows(ctx: ScenarioContext): Promise<number> {
  return ctx.env.count("SELECT COUNT(*) AS n FROM orders WHERE status = 'PAID'");
}

async function startEventConsumer(
  kafka: Kafka,
  topic: string,
  groupId: string,
  onEvent: (value: { orderId: number; occurredAt: string }, sentAt: number) => void,
): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({ eachMessage: async ({ message }) => onEvent(JSON.parse(message.value!.toString()), Number(message.timestamp)) });
  await joined;
  return consumer;
}
