import { ADMIN, Shop } from '../support/commerce-fixtures';
import { eventually } from '../support/eventually';
import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

/**
 * The product read cache seen from one instance: every read below is first made to fill the cache,
 * then a change, then the read again, which must show the change at once (this instance drops its
 * copies when the change commits). Two instances: test/integration/product-cache.test.ts.
 */
describe.each(profilesUnderTest())('product read cache (%s profile)', (profile) => {
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

  /** List pages loaded from the database so far (misses of the page cache), from the instance's /metrics. */
  const pageLoads = async (): Promise<number> => {
    const metrics = (await app.api.get('/metrics')).body as string;
    return Number(/^cache_misses_total\{cache="product_page"\} (\d+)$/m.exec(metrics)![1]);
  };

  const listed = async (category: string): Promise<Array<{ id: number; price: number; stock: number }>> =>
    (await shop.api.get(`/products?category=${category}&limit=100`)).body.items;

  it('serves a price change right after the PATCH returns, on product pages and list pages', async () => {
    const product = await shop.product({ price: 1_000, category: 'cache-price' });
    expect((await shop.api.get(`/products/${product.id}`)).body.price).toBe(1_000);
    expect((await listed('cache-price')).map((p) => p.price)).toEqual([1_000]);
    expect((await shop.api.patch(`/admin/products/${product.id}`, { price: 2_000 }, { token: shop.adminToken })).status).toBe(200);
    expect((await shop.api.get(`/products/${product.id}`)).body.price).toBe(2_000);
    expect((await listed('cache-price')).map((p) => p.price)).toEqual([2_000]);
  });

  it('lists a new product at once, drops a stopped one from the list at once, and never sells it', async () => {
    const first = await shop.product({ category: 'cache-status' });
    expect((await listed('cache-status')).map((p) => p.id)).toEqual([first.id]);
    const second = await shop.product({ category: 'cache-status' });
    expect((await listed('cache-status')).map((p) => p.id)).toEqual([second.id, first.id]);

    await shop.api.patch(`/admin/products/${second.id}`, { status: 'STOPPED' }, { token: shop.adminToken });
    expect((await listed('cache-status')).map((p) => p.id)).toEqual([first.id]);
    expect((await shop.api.get(`/products/${second.id}`)).body.status).toBe('STOPPED');
    // Orders read the database, never the cache: a stopped product cannot be ordered, even right after it was cached on sale.
    const buyer = await shop.user(100_000);
    const refused = await shop.api.post('/orders', { items: [{ productId: second.id, quantity: 1 }] }, { token: buyer.token });
    expect([refused.status, refused.body.code]).toEqual([409, 'PRODUCT_NOT_ON_SALE']);

    await shop.api.patch(`/admin/products/${second.id}`, { status: 'ON_SALE' }, { token: shop.adminToken });
    expect((await listed('cache-status')).map((p) => p.id)).toEqual([second.id, first.id]);
    // A category change moves it between lists at once.
    await shop.api.patch(`/admin/products/${second.id}`, { category: 'cache-moved' }, { token: shop.adminToken });
    expect((await listed('cache-status')).map((p) => p.id)).toEqual([first.id]);
    expect((await listed('cache-moved')).map((p) => p.id)).toEqual([second.id]);
  });

  it("shows a paid order's stock on the product page and in the list, and a cancellation's return", async () => {
    const product = await shop.product({ stock: 10, price: 1_000, category: 'cache-stock' });
    expect(await shop.stock(product.id)).toBe(10);
    expect((await listed('cache-stock'))[0].stock).toBe(10);
    const pageLoadsBefore = await pageLoads();
    const buyer = await shop.user(100_000);
    const order = await shop.order(buyer.token, [{ productId: product.id, quantity: 3 }]);
    expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token })).status).toBe(200);
    expect(await shop.stock(product.id)).toBe(7);
    expect((await listed('cache-stock'))[0].stock).toBe(7);
    // A stock change keeps the list's pages: the new stock came from the product's own entry, the page was not reloaded.
    expect(await pageLoads()).toBe(pageLoadsBefore);
    expect((await shop.api.post(`/orders/${order.id}/cancel`, undefined, { token: buyer.token })).status).toBe(200);
    expect(await shop.stock(product.id)).toBe(10);
    // A refused payment changes nothing and drops nothing it should not: the page still shows 10.
    const tooMany = await shop.order(buyer.token, [{ productId: product.id, quantity: 10 }]);
    await shop.api.patch(`/admin/products/${product.id}`, { stock: 5 }, { token: shop.adminToken });
    const refused = await shop.api.post(`/orders/${tooMany.id}/pay`, undefined, { token: buyer.token });
    expect([refused.status, refused.body.code]).toEqual([409, 'INSUFFICIENT_STOCK']);
    expect(await shop.stock(product.id)).toBe(5);
  });

  it("shows a renamed product's new name and price in the top sellers at once", async () => {
    const product = await shop.product({ name: 'Before', price: 4_000 });
    const buyer = await shop.user(100_000);
    const order = await shop.order(buyer.token, [{ productId: product.id, quantity: 1 }]);
    expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token })).status).toBe(200);
    const ours = async () =>
      (
        (await shop.api.get('/products/top-sellers?days=2&limit=50')).body.items as Array<{
          productId: number;
          name: string;
          price: number;
        }>
      ).find((item) => item.productId === product.id);
    await eventually(async () => expect(await ours()).toMatchObject({ name: 'Before', price: 4_000 }), 20_000);
    await shop.api.patch(`/admin/products/${product.id}`, { name: 'After', price: 4_500 }, { token: shop.adminToken });
    expect(await ours()).toMatchObject({ name: 'After', price: 4_500 });
  });

  it('answers the cached reads with the bytes and type the serialiser gives the same data (the admin list is not cached)', async () => {
    const [first, second] = [
      await shop.product({ category: 'cache-bytes', name: 'Zoë "quoted" \\ ✓' }),
      await shop.product({ category: 'cache-bytes' }),
    ];
    const raw = async (path: string, token?: string) => {
      const response = await fetch(`${app.api.baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
    };
    for (let read = 0; read < 2; read++) {
      // The second read is served from the cache's JSON; the admin list is serialised by Fastify from the database's rows.
      const [listed, byAdmin] = [
        await raw('/products?category=cache-bytes'),
        await raw('/admin/products?category=cache-bytes', shop.adminToken),
      ];
      expect(listed).toEqual({ ...byAdmin, status: 200, type: 'application/json; charset=utf-8' });
      const items = JSON.parse(byAdmin.text).items as unknown[];
      expect(await raw(`/products/${first.id}`)).toEqual({
        status: 200,
        type: 'application/json; charset=utf-8',
        text: JSON.stringify(items[1]),
      });
      expect(await raw(`/products/${second.id}`)).toEqual({
        status: 200,
        type: 'application/json; charset=utf-8',
        text: JSON.stringify(items[0]),
      });
    }
    const missing = await raw('/products/999999999');
    expect([missing.status, JSON.parse(missing.text).code]).toEqual([404, 'PRODUCT_NOT_FOUND']);
    expect(missing.type).toMatch(/^application\/problem\+json/);
  });

  it('answers every caller alike: product reads are public and nothing cached depends on who asks', async () => {
    const product = await shop.product({ category: 'cache-public' });
    const [alice, bob] = [await shop.user(), await shop.user()];
    for (const path of [`/products/${product.id}`, '/products?category=cache-public']) {
      const answers = [
        await shop.api.get(path),
        await shop.api.get(path, { token: alice.token }),
        await shop.api.get(path, { token: bob.token }),
        await shop.api.get(path, { token: shop.adminToken }),
      ];
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      for (const answer of answers) expect(answer.body).toEqual(answers[0].body);
    }
    // Only catalogue fields: the cache holds what the table holds about a product, nothing of a caller.
    expect(Object.keys((await shop.api.get(`/products/${product.id}`)).body).sort()).toEqual([
      'category',
      'id',
      'name',
      'price',
      'status',
      'stock',
    ]);
  });
});
