import { MessageBus } from '../../src/platform/messaging/message-bus';
import { ADMIN, Shop } from '../support/commerce-fixtures';
import { eventually } from '../support/eventually';
import { metricSample } from '../support/metrics';
import { currentEngines, isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';
import { TopicReader } from '../../support/topic-reader';

describe.each(profilesUnderTest())('top sellers fed by order events (%s profile)', (profile) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    env = await isolatedEnvironment(profile, ADMIN);
    app = await startApp(env.env);
    shop = await Shop.open(app);
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('ranks paid, not cancelled quantities, then revenue, then product id', async () => {
    const mug = await shop.product({ name: 'Mug', price: 9_000 });
    const kettle = await shop.product({ name: 'Kettle', price: 50_000 });
    const beans = await shop.product({ name: 'Beans', price: 30_000 });
    const tea = await shop.product({ name: 'Tea', price: 9_000 });
    const buyer = await shop.user(2_000_000);
    const buy = async (lines: Array<[number, number]>) => {
      const order = await shop.order(
        buyer.token,
        lines.map(([productId, quantity]) => ({ productId, quantity })),
      );
      expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token })).status).toBe(200);
      return order.id;
    };
    await buy([
      [mug.id, 3],
      [kettle.id, 2],
    ]);
    await buy([[beans.id, 5]]);
    const cancelled = await buy([
      [kettle.id, 4],
      [tea.id, 3],
    ]);
    await buy([[tea.id, 3]]);
    // Unpaid orders never count.
    await shop.order(buyer.token, [{ productId: mug.id, quantity: 10 }]);
    expect((await shop.api.post(`/orders/${cancelled}/cancel`, undefined, { token: buyer.token })).status).toBe(200);

    await eventually(async () => {
      const top = await shop.api.get('/products/top-sellers?days=2&limit=10');
      expect(top.status).toBe(200);
      expect(top.body.items).toEqual([
        { productId: beans.id, name: 'Beans', price: 30_000, soldQuantity: 5, revenue: 150_000, rank: 1 },
        // Mug and Tea sold 3 each for 27,000: the lower product id ranks first.
        { productId: mug.id, name: 'Mug', price: 9_000, soldQuantity: 3, revenue: 27_000, rank: 2 },
        { productId: tea.id, name: 'Tea', price: 9_000, soldQuantity: 3, revenue: 27_000, rank: 3 },
        { productId: kettle.id, name: 'Kettle', price: 50_000, soldQuantity: 2, revenue: 100_000, rank: 4 },
      ]);
    }, 20_000);

    const top = await shop.api.get('/products/top-sellers?days=3&limit=2');
    expect(top.body.items.map((item: { productId: number }) => item.productId)).toEqual([beans.id, mug.id]);
    const today = new Date().toISOString().slice(0, 10);
    expect(top.body.to.slice(0, 10)).toBe(today);
    expect(new Date(top.body.to).getTime() - new Date(top.body.from).getTime()).toBe(3 * 86_400_000 - 1);
  });

  it('validates days and limit', async () => {
    for (const query of ['days=0', 'days=31', 'limit=0', 'limit=51', 'days=abc']) {
      const response = await shop.api.get(`/products/top-sellers?${query}`);
      expect({ query, status: response.status, code: response.body.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
    }
  });

  it('dead-letters a malformed order event at once and still counts the events behind it', async () => {
    const bus = app.app.get(MessageBus);
    const malformed = { eventId: 'malformed-1', occurredAt: new Date().toISOString(), orderId: 'not-a-number', items: [] };
    await bus.publish([{ topic: 'order.completed', key: '424242', value: malformed, headers: { 'event-id': 'malformed-1' } }]);
    const cup = await shop.product({ name: 'Cup', price: 4_000 });
    const buyer = await shop.user(100_000);
    const order = await shop.order(buyer.token, [{ productId: cup.id, quantity: 2 }]);
    expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token })).status).toBe(200);

    await eventually(async () => {
      const top = await shop.api.get('/products/top-sellers?days=2&limit=50');
      expect(top.body.items.find((item: { productId: number }) => item.productId === cup.id)).toMatchObject({ soldQuantity: 2 });
    }, 20_000);
    const metrics = await shop.api.get('/metrics');
    expect(metricSample(metrics.body, 'consumer_dead_lettered_total{group="top-sellers"}')).toBe(1);

    if (profile === 'full') {
      // Kafka: the message sits on the dead-letter topic with the reason, after no retries of its own.
      const reader = await new TopicReader(currentEngines()!.kafkaBrokers, [`${env.env.KAFKA_TOPIC_PREFIX}order.completed.dlt`]).start();
      try {
        await eventually(() => expect(reader.messages.map((m) => m.value)).toEqual([malformed]), 20_000);
      } finally {
        await reader.stop();
      }
    }
  });
});
