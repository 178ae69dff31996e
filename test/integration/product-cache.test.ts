import { ProductRepository } from '../../src/modules/product/product.repository';
import { Metrics } from '../../src/platform/observability/metrics';
import { ADMIN, Shop } from '../support/commerce-fixtures';
import { eventually } from '../support/eventually';
import { describeWithEngines, isolatedEnvironment, type IsolatedEnvironment } from '../support/real-engines';
import { TcpProxy } from '../../support/tcp-proxy';
import { type Api, startApp, type TestApp } from '../support/test-app';

/** Well under the TTL below: only the broadcast, not the TTL, can make B fresh within it. */
const WITHIN_MS = 5_000;

/** A cache counter of the instance so far (`cache_misses_total`, ...), from its own registry. */
async function cacheCount(app: TestApp, name: string, cache: 'product' | 'product_page'): Promise<number> {
  const metric = await app.app.get(Metrics).registry.getSingleMetric(name)!.get();
  return metric.values.filter((v) => v.labels.cache === cache).reduce((sum, v) => sum + v.value, 0);
}

/** Misses of the product-by-id cache so far. */
const productMisses = (app: TestApp) => cacheCount(app, 'cache_misses_total', 'product');

describeWithEngines('product read cache on two instances', (engines) => {
  let env: IsolatedEnvironment;
  let a: TestApp;
  let b: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    // A TTL of 10 minutes: whatever B serves fresh within seconds, an invalidation from A made it so.
    env = await isolatedEnvironment('full', { ...ADMIN, PRODUCT_CACHE_TTL_MS: '600000' });
    [a, b] = [await startApp(env.env), await startApp(env.env)];
    shop = await Shop.open(a);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await env?.cleanup();
  });

  const product = async (api: Api, id: number) => (await api.get(`/products/${id}`)).body as { price: number; stock: number };

  it('a price change on A is served by B within the bound, and by A at once', async () => {
    const created = await shop.product({ price: 1_000 });
    expect((await product(b.api, created.id)).price).toBe(1_000); // now in B's cache
    expect((await product(a.api, created.id)).price).toBe(1_000); // and in A's
    await shop.api.patch(`/admin/products/${created.id}`, { price: 1_500 }, { token: shop.adminToken });
    expect((await product(a.api, created.id)).price).toBe(1_500);
    await eventually(async () => expect((await product(b.api, created.id)).price).toBe(1_500), WITHIN_MS, 20);
  });

  it("a paid order on A shows its stock on B's product page, and a product stopped on A leaves B's list", async () => {
    const created = await shop.product({ stock: 50, category: 'two-instances' });
    const listedOnB = async () =>
      ((await b.api.get('/products?category=two-instances')).body.items as Array<{ id: number }>).map((p) => p.id);
    expect((await product(b.api, created.id)).stock).toBe(50);
    expect(await listedOnB()).toEqual([created.id]);
    const buyer = await shop.user(100_000);
    const order = await shop.order(buyer.token, [{ productId: created.id, quantity: 4 }]);
    expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token })).status).toBe(200);
    await eventually(async () => expect((await product(b.api, created.id)).stock).toBe(46), WITHIN_MS, 20);

    await shop.api.patch(`/admin/products/${created.id}`, { status: 'STOPPED' }, { token: shop.adminToken });
    await eventually(async () => expect(await listedOnB()).toEqual([]), WITHIN_MS, 20);
  });

  it("list pages on B survive a paid order on A and show its stock; a price change shows in B's list, a stop removes it", async () => {
    type Listed = { id: number; stock: number; price: number };
    const listOnB = async () => (await b.api.get('/products?category=list-survives')).body.items as Listed[];
    const pageLoads = () => cacheCount(b, 'cache_misses_total', 'product_page');
    const pageDrops = () => cacheCount(b, 'cache_invalidations_total', 'product_page');
    const dropsBeforeCreating = await pageDrops();
    const [sold, other] = [await shop.product({ stock: 50, category: 'list-survives' }), await shop.product({ category: 'list-survives' })];
    // Each new product drops B's pages once its message arrives: wait for both, so no late one is counted below.
    await eventually(async () => expect(await pageDrops()).toBe(dropsBeforeCreating + 2), WITHIN_MS, 20);
    expect((await listOnB()).map((p) => p.id)).toEqual([other.id, sold.id]); // the page is now in B's cache
    const [loadsBefore, dropsBefore] = [await pageLoads(), await pageDrops()];

    const buyer = await shop.user(100_000);
    const order = await shop.order(buyer.token, [{ productId: sold.id, quantity: 4 }]);
    expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token })).status).toBe(200);
    await eventually(async () => expect((await listOnB()).find((p) => p.id === sold.id)?.stock).toBe(46), WITHIN_MS, 20);
    // The stock came from the product's own entry: B kept the page, neither dropped nor reloaded it.
    expect([await pageLoads(), await pageDrops()]).toEqual([loadsBefore, dropsBefore]);

    await shop.api.patch(`/admin/products/${sold.id}`, { price: 2_345 }, { token: shop.adminToken });
    await eventually(async () => expect((await listOnB()).find((p) => p.id === sold.id)?.price).toBe(2_345), WITHIN_MS, 20);
    expect(await pageLoads()).toBe(loadsBefore);

    await shop.api.patch(`/admin/products/${sold.id}`, { status: 'STOPPED' }, { token: shop.adminToken });
    await eventually(async () => expect((await listOnB()).map((p) => p.id)).toEqual([other.id]), WITHIN_MS, 20);
  });

  it('an instance started while Redis refused connections hears the changes once Redis is back', async () => {
    const proxy = await TcpProxy.forUrl(engines.redisUrl, 6379).start();
    await proxy.cut();
    const late = await startApp({ ...env.env, REDIS_URL: proxy.through(engines.redisUrl) });
    try {
      const created = await shop.product({ price: 3_000 });
      expect((await product(late.api, created.id)).price).toBe(3_000);
      await proxy.restore();
      // Its subscription is made once its connection is back (ioredis retries every 2 s at most); until then a change is not heard.
      let price = 3_000;
      await eventually(
        async () => {
          await shop.api.patch(`/admin/products/${created.id}`, { price: ++price }, { token: shop.adminToken });
          await eventually(async () => expect((await product(late.api, created.id)).price).toBe(price), 1_000, 20);
        },
        30_000,
        0,
      );
    } finally {
      await late.close();
      await proxy.stop();
    }
  });

  it('a thousand concurrent misses of one product make one query', async () => {
    const created = await shop.product({ name: 'Herd' });
    const repository = a.app.get(ProductRepository);
    const findById = repository.findById.bind(repository);
    // The query waits until all 1,000 reads have missed, so none of them can be a hit on what it loaded.
    let release!: () => void;
    const allMissed = new Promise<void>((resolve) => (release = resolve));
    const spy = jest.spyOn(repository, 'findById').mockImplementation(async (id) => {
      await allMissed;
      return findById(id);
    });
    try {
      const missesBefore = await productMisses(a);
      const reads = Promise.all(Array.from({ length: 1_000 }, () => a.api.get(`/products/${created.id}`)));
      await eventually(async () => expect((await productMisses(a)) - missesBefore).toBe(1_000), 60_000);
      release();
      const answers = await reads;
      expect(answers.filter((r) => r.status === 200 && r.body.name === 'Herd')).toHaveLength(1_000);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});
