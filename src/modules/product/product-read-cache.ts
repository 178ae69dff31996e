import { Injectable, OnModuleInit } from '@nestjs/common';
import { Broadcast } from '../../platform/broadcast/broadcast';
import { CacheMetrics } from '../../platform/cache/cache-metrics';
import { ReadCache } from '../../platform/cache/read-cache';
import { AppConfig } from '../../platform/config/app-config';
import { InjectAppConfig } from '../../platform/config/config.module';
import { Page } from '../../platform/database/cursor';
import type { ProductRecord } from './product.repository';

/** Broadcast channel of product changes; a message is the changed products' ids, comma-separated. */
const PRODUCT_CHANGED = 'product:changed';
/**
 * Broadcast channel of changes to which products the public list holds or in what order (a product
 * created, or its status or category changed): a message drops every list page. Its own channel, sent
 * after the products' message, so an instance that predates it still hears `product:changed` alone
 * and drops its pages on every change, as it did.
 */
const LISTING_CHANGED = 'product:listing-changed';

/** A page of the public list (products on sale, newest first): its category, cursor and size. */
export interface PageQuery {
  category?: string;
  beforeId?: number;
  limit: number;
}

/** What a cached list page holds: its products' ids, in list order, and where the next page starts. */
interface PageOfIds {
  ids: number[];
  nextCursor: string | null;
}

/** What a change to products does to the list: `listing` when it may add, remove or move them (create, status, category). */
export interface ProductChange {
  listing: boolean;
}

/**
 * The public catalogue reads of this instance, kept in memory: products by id (product pages, top
 * sellers, and the items of list pages) and pages of the list, which hold only their products' ids.
 * Products are public, so nothing here depends on who asks. Every change to a product (admin create
 * and update, stock taken or returned) is broadcast after its commit: this instance drops its copies
 * at once, the others on the message. A change of stock, price or name drops only that product, so
 * list pages survive orders; a change of which products are listed or their order (a new product
 * heads the first page; a change of status or category moves one between lists) drops every page.
 * Money never comes from here: orders and payment read the database inside their transaction,
 * and the admin list reads it too.
 */
@Injectable()
export class ProductReadCache implements OnModuleInit {
  private readonly products: ReadCache<number, ProductRecord>;
  private readonly pages: ReadCache<string, PageOfIds>;

  constructor(
    @InjectAppConfig() config: AppConfig,
    metrics: CacheMetrics,
    private readonly broadcast: Broadcast,
  ) {
    const { maxEntries, ttlMs } = config.productCache;
    this.products = new ReadCache(
      { max: maxEntries, ttlMs },
      metrics.track('product', () => this.products.size),
    );
    // A page counts its products toward the same bound.
    this.pages = new ReadCache(
      { max: maxEntries, ttlMs, sizeOf: (page) => page.ids.length },
      metrics.track('product_page', () => this.pages.size),
    );
  }

  async onModuleInit(): Promise<void> {
    await this.broadcast.subscribe(PRODUCT_CHANGED, (message, origin) => {
      for (const id of message.split(',').map(Number).filter(Number.isSafeInteger)) this.products.invalidate(id, origin);
    });
    await this.broadcast.subscribe(LISTING_CHANGED, (_message, origin) => this.pages.clear(origin));
  }

  product(id: number, load: () => Promise<ProductRecord | undefined>): Promise<ProductRecord | undefined> {
    return this.products.get(id, load);
  }

  productsById(ids: number[], load: (ids: number[]) => Promise<Map<number, ProductRecord>>): Promise<Map<number, ProductRecord>> {
    return this.products.getMany(ids, load);
  }

  /**
   * A page of the public list: its ids from the page cache (or `loadPage`), its products from the
   * products by id (those missing by one call of `loadProducts`). A product that is no longer on sale
   * or of the page's category is left out, so a page held a little longer than its product never
   * lists it wrongly; the page is then shorter, its cursor unchanged.
   */
  async page(
    query: PageQuery,
    loadPage: () => Promise<Page<ProductRecord>>,
    loadProducts: (ids: number[]) => Promise<Map<number, ProductRecord>>,
  ): Promise<Page<ProductRecord>> {
    const key = `${query.category ?? ''}|${query.beforeId ?? ''}|${query.limit}`;
    // A page always exists (maybe empty), so the load never answers undefined.
    const page = (await this.pages.get(key, async () => {
      const loaded = await loadPage();
      return { ids: loaded.items.map((product) => product.id), nextCursor: loaded.nextCursor };
    }))!;
    const products = await this.products.getMany(page.ids, loadProducts);
    const items: ProductRecord[] = [];
    for (const id of page.ids) {
      const product = products.get(id);
      if (product?.status === 'ON_SALE' && (query.category === undefined || product.category === query.category)) items.push(product);
    }
    return { items, nextCursor: page.nextCursor };
  }

  /** Call once the change committed: every instance, this one first and at once, drops what it holds of these products. */
  changed(ids: number[], change: ProductChange): void {
    if (!ids.length) return;
    this.broadcast.publish(PRODUCT_CHANGED, ids.join(','));
    if (change.listing) this.broadcast.publish(LISTING_CHANGED, ids.join(','));
  }
}
