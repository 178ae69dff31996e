// What the product read cache costs in heap per 10,000 products: the slots lru-cache sets aside up
// front for PRODUCT_CACHE_MAX_ENTRIES, then the entries themselves: by id, and list pages of 20 ids.
// node --expose-gc -r ts-node/register/transpile-only bench/tools/cache-memory.ts [products=10000]
import { CacheMetrics } from '../../src/platform/cache/cache-metrics';
import { ReadCache } from '../../src/platform/cache/read-cache';
import { Metrics } from '../../src/platform/observability/metrics';

interface Product {
  id: number;
  name: string;
  price: number;
  stock: number;
  category: string;
  status: string;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const products = Number(process.argv[2] ?? 10_000);

/** A product as the repository's row mapper builds it: fresh flat strings per row, decoded from bytes as the driver does. */
function row(id: number): Product {
  return {
    id,
    name: decoded(`Catalogue item ${id} ${'x'.repeat(id % 20)}`),
    price: 1_000 + id,
    stock: 1_000,
    category: decoded(`category-${id % 50}`),
    status: decoded('ON_SALE'),
  };
}

/** A string as a driver gives it: decoded from the row's bytes (flat, not a concatenation that serialising would flatten). */
function decoded(text: string): string {
  return Buffer.from(text).toString();
}

/** The JS heap and the typed arrays' memory outside it (lru-cache keeps its links in typed arrays). */
function heapMiB(): number {
  gc!();
  gc!();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return (heapUsed + arrayBuffers) / 2 ** 20;
}

async function main(): Promise<void> {
  const metrics = new CacheMetrics(new Metrics());
  const ttlMs = 60_000;
  const start = heapMiB();
  const byId: ReadCache<number, Product> = new ReadCache(
    { max: products, ttlMs },
    metrics.track('product', () => byId.size),
  );
  const pages: ReadCache<string, { ids: number[]; nextCursor: string | null }> = new ReadCache(
    { max: products, ttlMs, sizeOf: (page) => page.ids.length },
    metrics.track('product_page', () => pages.size),
  );
  const empty = heapMiB();
  for (let id = 1; id <= products; id++) await byId.get(id, () => Promise.resolve(row(id)));
  const withProducts = heapMiB();
  for (let first = 1; first <= products; first += 20) {
    const ids = Array.from({ length: 20 }, (_, i) => first + i);
    await pages.get(`|${first - 1}|20`, () => Promise.resolve({ ids, nextCursor: Buffer.from(`id:${first + 19}`).toString('base64url') }));
  }
  const withPages = heapMiB();
  const perTenThousand = (mib: number) => ((mib * 10_000) / products).toFixed(2);
  console.log(`node ${process.version}, ${products} products (entries: ${byId.size} by id, ${pages.size} pages of 20)`);
  console.log(`slots set aside for PRODUCT_CACHE_MAX_ENTRIES=${products}: ${(empty - start).toFixed(2)} MiB`);
  console.log(`products by id: ${(withProducts - empty).toFixed(2)} MiB, ${perTenThousand(withProducts - empty)} MiB per 10,000`);
  console.log(
    `list pages:     ${(withPages - withProducts).toFixed(2)} MiB, ${perTenThousand(withPages - withProducts)} MiB per 10,000 products listed`,
  );
  console.log(`all of it:      ${(withPages - start).toFixed(2)} MiB`);
}

void main();
