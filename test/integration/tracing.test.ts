import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { AppProcess } from '../../support/app-process';
import { ADMIN } from '../support/commerce-fixtures';
import { eventually } from '../support/eventually';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { describeWithEngines, isolatedEnvironment, type IsolatedEnvironment, type Profile } from '../support/real-engines';
import { Api } from '../support/test-app';

const LOG_DIR = join(__dirname, '..', '..', 'bench', 'results', 'tracing');
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

/** The app as operators run it (`node dist/main.js`): the instrumentations patch modules as Node loads them, which Jest's module system does not. */
async function tracedApp(profile: Profile, receiverUrl: string, extra: Record<string, string> = {}) {
  const env = await isolatedEnvironment(profile, {
    ...ADMIN,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_SERVICE_NAME: `commerce-test-${profile}`,
    ...extra,
  });
  const instance = new AppProcess(`tracing-${profile}`, env.env, LOG_DIR);
  await instance.start();
  return { env, instance, api: new Api(instance.url) };
}

async function tokenOf(api: Api, email: string, password: string): Promise<string> {
  const login = await api.post('/auth/login', { email, password });
  expect(login.status).toBe(200);
  return login.body.accessToken as string;
}

/** A buyer with points, a product, and a PENDING order of it. */
async function pendingOrder(api: Api): Promise<{ token: string; orderId: number }> {
  const admin = await tokenOf(api, ADMIN.ADMIN_EMAIL, ADMIN.ADMIN_PASSWORD);
  const product = await api.post('/admin/products', { name: 'Traced', price: 1_000, stock: 10, category: 'misc' }, { token: admin });
  expect(product.status).toBe(201);
  const email = `traced-${randomUUID()}@example.com`;
  const password = 'traced-password';
  expect((await api.post('/auth/signup', { email, password, name: 'Tracer' })).status).toBe(201);
  const token = await tokenOf(api, email, password);
  expect((await api.post('/points/charge', { amount: 10_000 }, { token })).status).toBe(200);
  const order = await api.post('/orders', { items: [{ productId: product.body.id, quantity: 1 }] }, { token });
  expect(order.status).toBe(201);
  return { token, orderId: order.body.id as number };
}

function serverSpan(receiver: OtlpReceiver, name: string, requestId: string): ReceivedSpan {
  const span = receiver.spans.find((s) => s.kind === SERVER && s.name === name && s.attributes['http.request.id'] === requestId);
  if (!span) throw new Error(`no server span "${name}" for request ${requestId} yet`);
  return span;
}

function sqlText(span: ReceivedSpan): string {
  return String(span.attributes['db.query.text'] ?? span.attributes['db.statement'] ?? '');
}

/** The spans of a trace as an indented tree (printed when an assertion fails, and quoted in docs/operations.md). */
function tree(spans: ReceivedSpan[]): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const lines: string[] = [];
  const walk = (parent: string, depth: number) => {
    for (const span of spans.filter((s) => s.parentSpanId === parent)) {
      lines.push(`${'  '.repeat(depth)}${span.name} [${span.service}]`);
      walk(span.spanId, depth + 1);
    }
  };
  for (const root of spans.filter((s) => !ids.has(s.parentSpanId))) {
    lines.push(`${root.name} [${root.service}]${root.parentSpanId ? ' (parent not received)' : ''}`);
    walk(root.spanId, 1);
  }
  return lines.join('\n');
}

/** True when `span` sits under `ancestor` in `spans`. */
function descendsFrom(spans: ReceivedSpan[], span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let current = byId.get(span.parentSpanId); current; current = byId.get(current.parentSpanId)) {
    if (current.spanId === ancestor.spanId) return true;
  }
  return false;
}

/** A paid order's trace: the request, its transaction's SQL with the outbox insert, the event's send and its consumers' handling. */
async function expectPaidOrderTrace(
  receiver: OtlpReceiver,
  api: Api,
  consumerGroups: string[],
  consumerCalls: boolean,
): Promise<ReceivedSpan[]> {
  const { token, orderId } = await pendingOrder(api);
  const requestId = `pay-${randomUUID()}`;
  const paid = await api.post(`/orders/${orderId}/pay`, undefined, { token, headers: { 'x-request-id': requestId } });
  expect(paid.status).toBe(200);

  return eventually(() => {
    const pay = serverSpan(receiver, 'POST /orders/:id/pay', requestId);
    const spans = receiver.trace(pay.traceId);
    const explain = `\n${tree(spans)}`;
    const outboxInsert = spans.find((s) => s.kind === CLIENT && /^\s*INSERT INTO\s+`?outbox_events/i.test(sqlText(s)));
    expect({ outboxInsert: Boolean(outboxInsert && descendsFrom(spans, outboxInsert, pay)), explain }).toEqual({
      outboxInsert: true,
      explain,
    });
    const send = spans.find((s) => s.kind === PRODUCER && s.name === 'send order.completed');
    expect({ send: Boolean(send && descendsFrom(spans, send, pay)), explain }).toEqual({ send: true, explain });
    expect(send!.attributes['messaging.message.id']).toEqual(expect.any(String));
    for (const group of consumerGroups) {
      const processed = spans.find(
        (s) => s.kind === CONSUMER && s.name === 'process order.completed' && s.attributes['messaging.consumer.group.name'] === group,
      );
      expect({ group, processed: Boolean(processed && descendsFrom(spans, processed, send!)), explain }).toEqual({
        group,
        processed: true,
        explain,
      });
      // The consumer's own calls (top sellers: Redis on the full profile; in memory on the embedded one) sit under its span.
      if (consumerCalls)
        expect({ group, work: spans.some((s) => s.kind === CLIENT && descendsFrom(spans, s, processed!)), explain }).toEqual({
          group,
          work: true,
          explain,
        });
    }
    return spans;
  }, 30_000);
}

describe('tracing, embedded profile (OpenTelemetry to a local OTLP receiver)', () => {
  const receiver = new OtlpReceiver();
  let app: Awaited<ReturnType<typeof tracedApp>>;

  beforeAll(async () => {
    // Info: the request's access line is the log line checked.
    app = await tracedApp('embedded', await receiver.start(), { LOG_LEVEL: 'info' });
  }, 120_000);

  afterAll(async () => {
    await app?.instance.end('SIGTERM');
    await app?.env.cleanup();
    await receiver.stop();
  });

  it("follows a paid order from the request through its SQL and the in-process bus to the top sellers' handling", async () => {
    const spans = await expectPaidOrderTrace(receiver, app.api, ['top-sellers'], false);
    expect(spans.every((s) => s.service === 'commerce-test-embedded')).toBe(true);
  });

  it("writes a request's log lines with its trace and span ids next to its request id", async () => {
    const requestId = `log-${randomUUID()}`;
    expect((await app.api.get('/products/999999999', { headers: { 'x-request-id': requestId } })).status).toBe(404);
    const span = await eventually(() => serverSpan(receiver, 'GET /products/:id', requestId), 10_000);
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(app.instance.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes(requestId))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatchObject({ reqId: requestId, trace_id: span.traceId, span_id: span.spanId });
  });
});

describeWithEngines('tracing, full profile (MySQL, Redis, Kafka)', (engines) => {
  const receiver = new OtlpReceiver();
  let app: Awaited<ReturnType<typeof tracedApp>>;
  let env: IsolatedEnvironment;

  beforeAll(async () => {
    app = await tracedApp('full', await receiver.start(), { COUPON_ISSUE_STRATEGY: 'queue' });
    env = app.env;
  }, 120_000);

  afterAll(async () => {
    await app?.instance.end('SIGTERM');
    await env?.cleanup();
    await receiver.stop();
  });

  it('follows a paid order from the request through MySQL, the outbox relay and Kafka to the consumer and its Redis calls', async () => {
    const spans = await expectPaidOrderTrace(receiver, app.api, ['top-sellers'], true);
    if (process.env.TRACE_PRINT) process.stdout.write(`${tree(spans)}\n`);
    const redis = spans.filter((s) => s.attributes['db.system'] === 'redis' || s.attributes['db.system.name'] === 'redis');
    expect(redis.length).toBeGreaterThan(0);
  });

  it('follows a queued coupon request from its 202 through Kafka to the decision and its SQL', async () => {
    const api = app.api;
    const admin = await tokenOf(api, ADMIN.ADMIN_EMAIL, ADMIN.ADMIN_PASSWORD);
    const coupon = await api.post(
      '/admin/coupons',
      { name: 'Traced drop', discountType: 'FIXED', discountValue: 100, totalQuantity: 5, minOrderAmount: 0, validDays: 7 },
      { token: admin },
    );
    expect(coupon.status).toBe(201);
    const email = `coupon-${randomUUID()}@example.com`;
    expect((await api.post('/auth/signup', { email, password: 'traced-password', name: 'Tracer' })).status).toBe(201);
    const token = await tokenOf(api, email, 'traced-password');
    const requestId = `issue-${randomUUID()}`;
    const accepted = await api.post(`/coupons/${coupon.body.id}/issue`, undefined, { token, headers: { 'x-request-id': requestId } });
    expect(accepted.status).toBe(202);

    await eventually(() => {
      const issue = serverSpan(receiver, 'POST /coupons/:id/issue', requestId);
      const spans = receiver.trace(issue.traceId);
      const explain = `\n${tree(spans)}`;
      const send = spans.find((s) => s.kind === PRODUCER && s.name === 'send coupon.issue.requested');
      expect({ send: Boolean(send && descendsFrom(spans, send, issue)), explain }).toEqual({ send: true, explain });
      const decided = spans.find((s) => s.kind === CONSUMER && s.name === 'process coupon.issue.requested');
      expect({ decided: Boolean(decided && descendsFrom(spans, decided, send!)), explain }).toEqual({ decided: true, explain });
      const decisionSql = spans.filter((s) => s.kind === CLIENT && descendsFrom(spans, s, decided!) && /user_coupons/i.test(sqlText(s)));
      expect({ decisionSql: decisionSql.length > 0, explain }).toEqual({ decisionSql: true, explain });
    }, 30_000);
  });

  /** Sends order.completed messages as another producer would: one produce request, so they reach the consumer as one batch. */
  async function sendForeign(messages: Array<{ eventId: string; headers?: Record<string, string> }>): Promise<void> {
    const kafka = new Kafka({ clientId: 'tracing-test', brokers: engines.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: `${env.env.KAFKA_TOPIC_PREFIX}order.completed`,
        messages: messages.map(({ eventId, headers }) => ({
          key: '987654321',
          value: JSON.stringify({
            eventId,
            occurredAt: new Date().toISOString(),
            orderId: 987654321,
            userId: 1,
            items: [{ productId: 1, quantity: 1, unitPrice: 100 }],
            totalAmount: 100,
            discountAmount: 0,
            finalAmount: 100,
            userCouponId: null,
          }),
          headers: { 'event-id': eventId, 'event-type': 'order.completed', ...headers },
        })),
      });
    } finally {
      await producer.disconnect();
    }
  }

  it("handles another producer's message without trace context in a trace of its own", async () => {
    const eventId = randomUUID();
    await sendForeign([{ eventId }]);
    const processed = await eventually(() => {
      const span = receiver.spans.find((s) => s.kind === CONSUMER && s.attributes['messaging.message.id'] === eventId);
      if (!span) throw new Error('the message was not handled yet');
      return span;
    }, 30_000);
    expect(processed.parentSpanId).toBe('');
    expect(processed.links).toEqual([]);
    expect(receiver.trace(processed.traceId).filter((s) => s.kind === PRODUCER || s.kind === SERVER)).toEqual([]);
  });

  it("links a batch that mixes traces to each message's trace instead of joining one of them", async () => {
    const first = { traceId: randomUUID().replace(/-/g, ''), spanId: randomUUID().replace(/-/g, '').slice(0, 16) };
    const second = { traceId: randomUUID().replace(/-/g, ''), spanId: randomUUID().replace(/-/g, '').slice(0, 16) };
    const traceparent = (ids: typeof first) => `00-${ids.traceId}-${ids.spanId}-01`;
    await sendForeign([
      { eventId: randomUUID(), headers: { traceparent: traceparent(first) } },
      { eventId: randomUUID(), headers: { traceparent: traceparent(second) } },
    ]);
    const batch = await eventually(() => {
      const span = receiver.spans.find((s) => s.kind === CONSUMER && s.links.some((link) => link.traceId === first.traceId));
      if (!span) throw new Error('the batch was not handled yet');
      return span;
    }, 30_000);
    expect(batch.parentSpanId).toBe('');
    expect(batch.traceId).not.toBe(first.traceId);
    expect(batch.traceId).not.toBe(second.traceId);
    expect(batch.links).toEqual(expect.arrayContaining([first, second]));
    expect(batch.attributes['messaging.batch.message_count']).toBe(2);
  });
});
