import { Injectable, OnModuleInit } from '@nestjs/common';
import { Broadcast, BroadcastOrigin } from '../../platform/broadcast/broadcast';
import { CacheMetrics } from '../../platform/cache/cache-metrics';
import { ReadCache } from '../../platform/cache/read-cache';
import { AppConfig } from '../../platform/config/app-config';
import { InjectAppConfig } from '../../platform/config/config.module';
import { Page } from '../../platform/database/cursor';
import type { ProductRecord } from './product.repository';

/** Broadcast channel of product changes; a message is the changed products' ids, comma-separated. */
const PRODUCT_CHANGED = 'product:changed';

/** A page of the public list (products on sale, newest first): its category, cursor and size. */
export interface PageQuery {
  category?: string;
  beforeId?: number;
  limit: number;
}

/**
 * The public catalogue reads of this instance, kept in memory: products by id (product pages, top
 * sellers) and pages of the list. Products are public, so nothing here depends on who asks.
 * Every change to a product (admin create and update, stock taken or returned) is broadcast
 * after its commit: this instance drops its copies at once, the others on the message. Any
 * change drops every list page: simple, and a page may hold the product or have to start holding
 * it (a new product heads the first page; a change of status or category moves it between lists).
 * Money never comes from here: orders and payment read the database inside their transaction,
 * and the admin list reads it too.
 */
@Injectable()
export class ProductReadCache implements OnModuleInit {
  private readonly products: ReadCache<number, ProductRecord>;
  private readonly pages: ReadCache<string, Page<ProductRecord>>;

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
      { max: maxEntries, ttlMs, sizeOf: (page) => page.items.length },
      metrics.track('product_page', () => this.pages.size),
    );
  }

  async onModuleInit(): Promise<void> {
    await this.broadcast.subscribe(PRODUCT_CHANGED, (message, origin) =>
      this.drop(message.split(',').map(Number).filter(Number.isSafeInteger), origin),
    );
  }

  product(id: number, load: () => Promise<ProductRecord | undefined>): Promise<ProductRecord | undefined> {
    return this.products.get(id, load);
  }

  productsById(ids: number[], load: (ids: number[]) => Promise<Map<number, ProductRecord>>): Promise<Map<number, ProductRecord>> {
    return this.products.getMany(ids, load);
  }

  page(query: PageQuery, load: () => Promise<Page<ProductRecord>>): Promise<Page<ProductRecord>> {
    // A page always exists (maybe empty), so the load never answers undefined.
    return this.pages.get(`${query.category ?? ''}|${query.beforeId ?? ''}|${query.limit}`, load) as Promise<Page<ProductRecord>>;
  }

  /** Call once the change committed: every instance, this one first and at once, drops what it holds of these products. */
  changed(ids: number[]): void {
    if (ids.length) this.broadcast.publish(PRODUCT_CHANGED, ids.join(','));
  }

  private drop(ids: number[], origin: BroadcastOrigin): void {
    for (const id of ids) this.products.invalidate(id, origin);
    this.pages.clear(origin);
  }
}
