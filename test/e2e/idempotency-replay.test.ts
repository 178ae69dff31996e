/**
 * Idempotency-Key beyond the first success (docs/api.md): a refusal the client saw is replayed as
 * it was, a claim left by a request that died is taken over once it is old enough (and not before),
 * and one key sent to two instances at once does the work once.
 */
import { IdempotencyKey } from '../../src/platform/idempotency/idempotency-key.entity';
import { OutboxEvent } from '../../src/platform/outbox/outbox-event.entity';
import { ADMIN, Shop } from '../support/commerce-fixtures';
import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

describe.each(profilesUnderTest())('idempotent replay (%s profile)', (profile) => {
  let env: IsolatedEnvironment;
  let first: TestApp;
  let second: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    env = await isolatedEnvironment(profile, ADMIN);
    // Two instances on the same data, as behind a load balancer.
    first = await startApp(env.env);
    second = await startApp(env.env);
    shop = await Shop.open(first);
  });

  afterAll(async () => {
    await second?.close();
    await first?.close();
    await env?.cleanup();
  });

  const keys = () => shop.dataSource.getRepository(IdempotencyKey);

  it('replays a stored refusal (409) as it was, even after the cause is gone, and does nothing', async () => {
    const product = await shop.product({ price: 30_000, stock: 5 });
    const user = await shop.user(10_000);
    const order = await shop.order(user.token, [{ productId: product.id, quantity: 1 }]);
    const pay = (key: string) =>
      shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token, headers: { 'idempotency-key': key } });

    const refused = await pay('pay-refused');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('INSUFFICIENT_BALANCE');
    await shop.api.post('/points/charge', { amount: 20_000 }, { token: user.token });

    // Enough points now, but the key answers what its client already saw.
    const replay = await pay('pay-refused');
    expect(replay.status).toBe(409);
    // The stored problem has no `instance` (the first answer's path): the rest is the first answer.
    const { instance: _instance, ...stored } = refused.body as Record<string, unknown>;
    expect(replay.body).toEqual(stored);
    expect((await shop.api.get(`/orders/${order.id}`, { token: user.token })).body.status).toBe('PENDING');
    expect(await shop.balance(user.token)).toBe(30_000);
    expect(await shop.stock(product.id)).toBe(5);

    // A new key is a new attempt.
    expect((await pay('pay-again')).status).toBe(200);
    expect(await shop.balance(user.token)).toBe(0);
  });

  it('takes over a claim abandoned for over a minute, and answers 409 to one still fresh', async () => {
    const user = await shop.user();
    const charge = (key: string) =>
      shop.api.post('/points/charge', { amount: 1_000 }, { token: user.token, headers: { 'idempotency-key': key } });
    // The fingerprint of this very request, as the app stored it for a completed key.
    expect((await charge('seen')).status).toBe(200);
    const { requestHash } = await keys().findOneByOrFail({ userId: user.id, key: 'seen' });
    // Claims of requests that died before answering (a crashed instance leaves exactly this row).
    const claimAged = async (key: string, ageMs: number) => {
      const createdAt = new Date(Date.now() - ageMs);
      await keys().insert({
        userId: user.id,
        key,
        requestHash,
        state: 'IN_PROGRESS',
        responseStatus: null,
        responseBody: null,
        createdAt,
        expiresAt: new Date(createdAt.getTime() + 86_400_000),
      });
    };
    await claimAged('abandoned', 61_000);
    await claimAged('fresh', 30_000);

    const takenOver = await charge('abandoned');
    expect(takenOver.status).toBe(200);
    expect(takenOver.body.balance).toBe(2_000);
    // Taken over once: the retry of that request now replays.
    expect(await charge('abandoned')).toMatchObject({ status: 200, body: takenOver.body });

    const busy = await charge('fresh');
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    expect(Number(busy.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await shop.balance(user.token)).toBe(2_000);
    expect((await shop.history(user.token)).filter((row) => row.type === 'CHARGE')).toHaveLength(2);
  });

  it('runs one key sent to two instances at once once: one order paid, one event, the same answer replayed by both', async () => {
    const product = await shop.product({ price: 10_000, stock: 10 });
    const user = await shop.user(50_000);
    const order = await shop.order(user.token, [{ productId: product.id, quantity: 1 }]);
    const headers = { 'idempotency-key': 'pay-both' };
    const payVia = (app: TestApp) => app.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token, headers });

    const answers = await Promise.all([first, second, first, second].map(payVia));
    const statuses = answers.map((answer) => answer.status);
    // The owner of the key answers 200; the others either waited it out (its replay) or met it in progress.
    expect(statuses).toContain(200);
    for (const answer of answers) {
      if (answer.status === 409) expect(answer.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      else expect(answer).toMatchObject({ status: 200, body: { id: order.id, status: 'PAID' } });
    }
    expect(await shop.balance(user.token)).toBe(40_000);
    expect(await shop.stock(product.id)).toBe(9);
    expect(await shop.dataSource.getRepository(OutboxEvent).countBy({ messageKey: String(order.id) })).toBe(1);

    // Afterwards either instance replays the one stored answer.
    const stored = answers.find((answer) => answer.status === 200)!.body;
    for (const app of [first, second]) expect(await payVia(app)).toMatchObject({ status: 200, body: stored });
  });
});
