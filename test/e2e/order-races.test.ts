/**
 * Races between the moves of one order (pay, cancel, the expiry sweep), judged by what they leave
 * behind: every 200 must match a row in the state it promised, the stock and points it took or gave
 * back, and the events recorded for it; no answer may be contradicted by the data.
 */
import { OrderService } from '../../src/modules/order/order.service';
import { OutboxEvent } from '../../src/platform/outbox/outbox-event.entity';
import { ADMIN, inBatches, Shop } from '../support/commerce-fixtures';
import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

const TTL_SECONDS = 900;
const PRICE = 10_000;

describe.each(profilesUnderTest())('order races and the pending-order sweep (%s profile)', (profile) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let shop: Shop;
  /** The sweep as the sweeper runs it, at a chosen time: an order's TTL cannot be waited out in a test. */
  const sweepAt = (now: Date) => app.app.get(OrderService).cancelExpired(now);
  const pastEveryExpiry = () => new Date(Date.now() + (TTL_SECONDS + 60) * 1000);

  beforeAll(async () => {
    env = await isolatedEnvironment(profile, {
      ...ADMIN,
      DB_ACQUIRE_TIMEOUT_MS: '20000',
      ORDER_PENDING_TTL_SECONDS: String(TTL_SECONDS),
    });
    app = await startApp(env.env);
    shop = await Shop.open(app);
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  const statusOf = async (token: string, orderId: number) => (await shop.api.get(`/orders/${orderId}`, { token })).body;
  const eventsOf = async (orderId: number) =>
    (await shop.dataSource.getRepository(OutboxEvent).find({ where: { messageKey: String(orderId) }, order: { id: 'ASC' } })).map(
      (event) => event.eventType,
    );

  it('sweeps only pending orders past their expiry: a paid one stays PAID with its stock and points taken', async () => {
    const product = await shop.product({ price: PRICE, stock: 10 });
    const user = await shop.user(100_000);
    const paid = await shop.order(user.token, [{ productId: product.id, quantity: 2 }]);
    const paidAnswer = await shop.api.post(`/orders/${paid.id}/pay`, undefined, { token: user.token });
    expect(paidAnswer.status).toBe(200);
    const pending = await shop.order(user.token, [{ productId: product.id, quantity: 3 }]);

    // Before the expiry: nothing of this user's is swept.
    await sweepAt(new Date());
    expect((await statusOf(user.token, pending.id)).status).toBe('PENDING');

    await sweepAt(pastEveryExpiry());
    expect(await statusOf(user.token, pending.id)).toMatchObject({ status: 'CANCELLED', paidAt: null, cancelledAt: expect.any(String) });
    expect(await statusOf(user.token, paid.id)).toMatchObject({ status: 'PAID', paidAt: paidAnswer.body.paidAt, cancelledAt: null });
    expect(await shop.stock(product.id)).toBe(8);
    expect(await shop.balance(user.token)).toBe(80_000);
    expect((await shop.history(user.token)).map((row) => [row.type, row.amount, row.orderId])).toEqual([
      ['USE', -20_000, paid.id],
      ['CHARGE', 100_000, null],
    ]);
    expect(await eventsOf(paid.id)).toEqual(['order.completed']);
    expect(await eventsOf(pending.id)).toEqual([]);
    // A swept order cannot be paid any more.
    expect((await shop.api.post(`/orders/${pending.id}/pay`, undefined, { token: user.token })).body.code).toBe('ORDER_NOT_PENDING');
  });

  it('payments racing the sweep: each order ends PAID with its stock, points and one event, or CANCELLED with none', async () => {
    const product = await shop.product({ price: PRICE, stock: 100 });
    const buyers = await inBatches(Array.from({ length: 12 }), 6, () => shop.user(PRICE));
    const orders = await inBatches(buyers, 6, async (buyer) => ({
      buyer,
      order: await shop.order(buyer.token, [{ productId: product.id, quantity: 1 }]),
    }));

    // A third are paid before the race: the sweeps must leave them PAID.
    const paidBefore = await Promise.all(
      orders.slice(0, 4).map(({ buyer, order }) => shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token })),
    );
    expect(paidBefore.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    const raced = await Promise.all(
      orders.slice(4).map(async ({ buyer, order }, i) => {
        // Every other order meets a sweep started with it; the rest race the sweeps of the others.
        const [answer] = await Promise.all([
          shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token }),
          i % 2 === 0 ? sweepAt(pastEveryExpiry()) : undefined,
        ]);
        return answer;
      }),
    );
    await sweepAt(pastEveryExpiry());
    const answers = [...paidBefore, ...raced];

    let paid = 0;
    for (const [i, { buyer, order }] of orders.entries()) {
      const answer = answers[i];
      const current = await statusOf(buyer.token, order.id);
      if (answer.status === 200) {
        paid++;
        expect(current).toMatchObject({ status: 'PAID', cancelledAt: null });
        expect(await shop.balance(buyer.token)).toBe(0);
        expect(await eventsOf(order.id)).toEqual(['order.completed']);
      } else {
        expect([answer.status, answer.body.code]).toEqual([409, 'ORDER_NOT_PENDING']);
        expect(current).toMatchObject({ status: 'CANCELLED', paidAt: null });
        expect(await shop.balance(buyer.token)).toBe(PRICE);
        expect(await eventsOf(order.id)).toEqual([]);
      }
    }
    expect(await shop.stock(product.id)).toBe(100 - paid);
  });

  it('the same orders paid three times at once: one 200 each, and exactly its stock, points and event taken once', async () => {
    const product = await shop.product({ price: PRICE, stock: 4 });
    // Six orders for a stock of four: two orders must be refused for stock, whatever the order of arrival.
    const buyers = await inBatches(Array.from({ length: 6 }), 6, () => shop.user(3 * PRICE));
    const orders = await inBatches(buyers, 6, async (buyer) => ({
      buyer,
      order: await shop.order(buyer.token, [{ productId: product.id, quantity: 1 }]),
    }));

    const answers = await Promise.all(
      orders.map(({ buyer, order }) =>
        Promise.all([1, 2, 3].map(() => shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token }))),
      ),
    );

    const paidOrders = new Set<number>();
    for (const [i, { buyer, order }] of orders.entries()) {
      const statuses = answers[i].map((answer) => answer.status).sort();
      const current = await statusOf(buyer.token, order.id);
      const uses = (await shop.history(buyer.token)).filter((row) => row.type === 'USE');
      if (statuses.includes(200)) {
        paidOrders.add(order.id);
        expect(statuses).toEqual([200, 409, 409]);
        expect(current.status).toBe('PAID');
        expect(uses.map((row) => [row.amount, row.orderId])).toEqual([[-PRICE, order.id]]);
        expect(await shop.balance(buyer.token)).toBe(2 * PRICE);
        expect(await eventsOf(order.id)).toEqual(['order.completed']);
      } else {
        expect(statuses).toEqual([409, 409, 409]);
        expect(answers[i].map((answer) => answer.body.code)).toContain('INSUFFICIENT_STOCK');
        expect(current.status).toBe('PENDING');
        expect(uses).toEqual([]);
        expect(await shop.balance(buyer.token)).toBe(3 * PRICE);
        expect(await eventsOf(order.id)).toEqual([]);
      }
    }
    expect(paidOrders.size).toBe(4);
    expect(await shop.stock(product.id)).toBe(0);
  });

  it('cancel racing payment: no refund without a payment, at most one, and exactly one order.cancelled per refund', async () => {
    const product = await shop.product({ price: PRICE, stock: 50 });
    const buyers = await inBatches(Array.from({ length: 10 }), 5, () => shop.user(PRICE));
    const orders = await inBatches(buyers, 5, async (buyer) => ({
      buyer,
      order: await shop.order(buyer.token, [{ productId: product.id, quantity: 1 }]),
    }));

    const answers = await Promise.all(
      orders.map(({ buyer, order }) =>
        Promise.all([
          shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token }),
          shop.api.post(`/orders/${order.id}/cancel`, undefined, { token: buyer.token }),
        ]),
      ),
    );

    let stillPaid = 0;
    for (const [i, { buyer, order }] of orders.entries()) {
      const [pay, cancel] = answers[i];
      const current = await statusOf(buyer.token, order.id);
      const history = (await shop.history(buyer.token)).filter((row) => row.type !== 'CHARGE').map((row) => [row.type, row.amount]);
      const events = await eventsOf(order.id);
      if (pay.status === 200 && cancel.status === 200) {
        // Paid, then cancelled: the points came back once.
        expect(current.status).toBe('CANCELLED');
        expect(history).toEqual([
          ['REFUND', PRICE],
          ['USE', -PRICE],
        ]);
        expect(await shop.balance(buyer.token)).toBe(PRICE);
        expect(events).toEqual(['order.completed', 'order.cancelled']);
      } else if (pay.status === 200) {
        expect([cancel.status, cancel.body.code]).toEqual([409, 'ORDER_NOT_CANCELLABLE']);
        stillPaid++;
        expect(current.status).toBe('PAID');
        expect(history).toEqual([['USE', -PRICE]]);
        expect(await shop.balance(buyer.token)).toBe(0);
        expect(events).toEqual(['order.completed']);
      } else {
        // Cancelled while pending: nothing was taken, so nothing is given back.
        expect([pay.status, pay.body.code, cancel.status]).toEqual([409, 'ORDER_NOT_PENDING', 200]);
        expect(current.status).toBe('CANCELLED');
        expect(history).toEqual([]);
        expect(await shop.balance(buyer.token)).toBe(PRICE);
        expect(events).toEqual([]);
      }
    }
    expect(await shop.stock(product.id)).toBe(50 - stillPaid);
  });
});
