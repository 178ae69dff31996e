import { InProcessBroadcast } from '../../platform/broadcast/in-process-broadcast';
import { CacheMetrics } from '../../platform/cache/cache-metrics';
import type { AppConfig } from '../../platform/config/app-config';
import type { Page } from '../../platform/database/cursor';
import { Metrics } from '../../platform/observability/metrics';
import { ProductReadCache } from './product-read-cache';
import type { ProductRecord } from './product.repository';

const product = (id: number, changes: Partial<ProductRecord> = {}): ProductRecord => ({
  id,
  name: `Product ${id}`,
  price: 1_000,
  stock: 10,
  category: 'books',
  status: 'ON_SALE',
  ...changes,
});

describe('ProductReadCache list pages', () => {
  let broadcast: InProcessBroadcast;
  let cache: ProductReadCache;
  /** What the database holds, by id; the loads below read it. */
  let table: Map<number, ProductRecord>;
  let loadPage: jest.Mock<Promise<Page<ProductRecord>>, []>;
  let loadProducts: jest.Mock<Promise<Map<number, ProductRecord>>, [number[]]>;
  const query = { category: 'books', limit: 20 };
  const listed = async () => (await cache.page(query, loadPage, loadProducts)).items;

  beforeEach(async () => {
    broadcast = new InProcessBroadcast();
    const config = { productCache: { maxEntries: 1_000, ttlMs: 60_000 } } as unknown as AppConfig;
    cache = new ProductReadCache(config, new CacheMetrics(new Metrics()), broadcast);
    await cache.onModuleInit();
    table = new Map([3, 2, 1].map((id) => [id, product(id)]));
    loadPage = jest.fn(() =>
      Promise.resolve({ items: [...table.values()].filter((p) => p.status === 'ON_SALE' && p.category === 'books'), nextCursor: null }),
    );
    loadProducts = jest.fn((ids: number[]) =>
      Promise.resolve(new Map(ids.flatMap((id) => (table.has(id) ? [[id, table.get(id)!] as const] : [])))),
    );
  });

  it('keeps a page through a stock or price change and shows the change, reloading only that product', async () => {
    expect((await listed()).map((p) => p.id)).toEqual([3, 2, 1]);
    table.set(2, product(2, { stock: 7, price: 1_200 }));
    cache.changed([2], { listing: false });
    expect((await listed()).map((p) => [p.id, p.stock, p.price])).toEqual([
      [3, 10, 1_000],
      [2, 7, 1_200],
      [1, 10, 1_000],
    ]);
    expect(loadPage).toHaveBeenCalledTimes(1);
    expect(loadProducts.mock.calls).toEqual([[[3, 2, 1]], [[2]]]);
  });

  it('drops its pages when a product is created or its status or category changes', async () => {
    await listed();
    table.set(4, product(4));
    table = new Map([...table].sort(([a], [b]) => b - a));
    cache.changed([4], { listing: true });
    expect((await listed()).map((p) => p.id)).toEqual([4, 3, 2, 1]);
    expect(loadPage).toHaveBeenCalledTimes(2);
  });

  it('never lists a product that is no longer on sale or of the category, even when the page outlived it', async () => {
    await listed();
    // Only the product's own message arrives (the listing one was lost): the page still holds its id.
    table.set(2, product(2, { status: 'STOPPED' }));
    table.set(1, product(1, { category: 'games' }));
    broadcast.publish('product:changed', '2,1');
    const page = await cache.page(query, loadPage, loadProducts);
    expect(page.items.map((p) => p.id)).toEqual([3]);
    expect(loadPage).toHaveBeenCalledTimes(1);
  });

  it('loads the missing products of concurrent page reads once', async () => {
    await Promise.all(Array.from({ length: 100 }, () => listed()));
    expect(loadPage).toHaveBeenCalledTimes(1);
    expect(loadProducts).toHaveBeenCalledTimes(1);
  });
});
