import { runLoad } from '../lib/load';
import { count, describeStatuses, type Scenario } from './scenario';

/** Public product reads: the first page of the catalogue, and one product by id. */
export const products: Scenario = {
  name: 'products',
  description: 'GET /products?limit=20 and GET /products/{id} over 100 products',
  defaultConnections: 100,
  async run(ctx, measure, check) {
    await ctx.keepOnlyApps(['lock']); // no other process's relay or consumers beside it
    const app = await ctx.app('lock', { COUPON_ISSUE_STRATEGY: 'lock' });
    const ids: number[] = [];
    for (let i = 0; i < 100; i++) {
      const product = await app.expect(201, 'POST', '/admin/products', {
        name: `Catalogue item ${i}`,
        price: 1_000 + i,
        stock: 1_000,
        category: 'bench-catalogue',
      });
      ids.push(product.id);
    }
    const list = { method: 'GET' as const, path: '/products?category=bench-catalogue&limit=20' };
    const detail = {
      method: 'GET' as const,
      path: `/products/${ids[0]}`,
      setupRequest: (request: any) => ({ ...request, path: `/products/${ids[Math.floor(Math.random() * ids.length)]}` }),
    };
    // Each against the baseline doing its I/O: the list reads 21 rows of a category, detail one by id.
    for (const [label, request, baseline] of [
      ['product list (20 per page)', list, 'mysql-list'],
      ['product detail', detail, 'mysql-by-id'],
    ] as const) {
      if (ctx.options.warmupS > 0)
        await runLoad(app, { durationS: ctx.options.warmupS, connections: ctx.connections, requests: [request] });
      const load = await runLoad(app, { durationS: ctx.options.durationS, connections: ctx.connections, requests: [request] });
      measure({ label, value: load.rps, unit: 'req/s', load, baseline, target: { minRatio: 0.65 } });
      check({
        name: `${label}: every answer 200`,
        ok: count(load, 200) === load.responses && load.errors === 0,
        detail: describeStatuses(load),
      });
    }
    const page = await app.expect(200, 'GET', '/products?category=bench-catalogue&limit=20');
    check({
      name: 'the list shows the seeded products',
      ok: page.items.length === 20 && page.items.every((p: { category: string }) => p.category === 'bench-catalogue'),
    });
  },
};
