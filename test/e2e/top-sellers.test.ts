import { ADMIN, Shop } from '../support/commerce-fixtures';
import { eventually } from '../support/eventually';
import { isolatedEnvironment, IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, TestApp } from '../support/test-app';

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
      const order = await shop.order(buyer.token, lines.map(([productId, quantity]) => ({ productId, quantity })));
      expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token })).status).toBe(200);
      return order.id;
    };
    await buy([[mug.id, 3], [kettle.id, 2]]);
    await buy([[beans.id, 5]]);
    const cancelled = await buy([[kettle.id, 4], [tea.id, 3]]);
    await buy([[tea.id, 3]]);
    // Unpaid orders never count.
    await shop.order(buyer.token, [{ productId: mug.id, quantity: 10 }]);
    expect((await shop.api.post(`/orders/${cancelled}/cancel`, undefined, { token: buyer.token })).status).toBe(200);

    await eventually(async () => {
      const top = await shop.api.get('/products/top-sellers?days=1&limit=10');
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
});
