import { Injectable } from '@nestjs/common';
import { decodeCursor, Page, pageOf } from '../../platform/database/cursor';
import { TransactionRunner } from '../../platform/database/transaction-runner';
import { DomainError } from '../../platform/errors/domain-error';
import { CreateProductRequest, UpdateProductRequest } from './dto/product.dto';
import { ProductChange, ProductReadCache } from './product-read-cache';
import type { ProductStatus } from './entities/product.entity';
import { ProductPageFilter, ProductRecord, ProductRepository } from './product.repository';

export interface StockLine {
  productId: number;
  quantity: number;
}

/**
 * The product module's public surface: catalogue reads and writes, and stock for checkout. The
 * public reads (`get`, `list`, `findManyCached`) go through this instance's `ProductReadCache`;
 * everything that decides money (`findMany`, stock) reads the database. Every write tells the
 * cache once it has committed.
 */
@Injectable()
export class ProductService {
  constructor(
    private readonly products: ProductRepository,
    private readonly transactions: TransactionRunner,
    private readonly cache: ProductReadCache,
  ) {}

  async create(input: CreateProductRequest): Promise<ProductRecord> {
    const { name, price, stock, category } = input;
    return this.transactions.run(async () => {
      const product = await this.products.insert({ name, price, stock, category, status: 'ON_SALE' }, new Date());
      this.changedOnCommit([product.id], { listing: true });
      return product;
    });
  }

  async update(id: number, changes: UpdateProductRequest): Promise<ProductRecord> {
    // Fields left out of the PATCH are own `undefined` properties of the DTO (ES2022 class fields): skip them.
    const sent = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const product = await this.transactions.run(async () => {
      const updated = await this.products.update(id, sent, new Date());
      // Status and category decide which lists hold it; stock, price and name only what they show.
      if (updated) this.changedOnCommit([id], { listing: 'status' in sent || 'category' in sent });
      return updated;
    });
    if (!product) throw new DomainError('PRODUCT_NOT_FOUND', `Product ${id} does not exist`);
    return product;
  }

  /** A product page: from the cache, so it may lag a change on another instance by the freshness bound (docs/api.md). */
  async get(id: number): Promise<ProductRecord> {
    const product = await this.cache.product(id, () => this.products.findById(id));
    if (!product) throw new DomainError('PRODUCT_NOT_FOUND', `Product ${id} does not exist`);
    return product;
  }

  /** A page of the products on sale, newest first, from the cache like `get`. */
  async list(query: { category?: string; limit: number; cursor?: string }): Promise<Page<ProductRecord>> {
    const page = { category: query.category, beforeId: decodeCursor(query.cursor), limit: query.limit };
    return this.cache.page(
      page,
      () => this.pageFromDatabase({ ...page, status: 'ON_SALE' }),
      (missing) => this.findMany(missing),
    );
  }

  /** A page of every product whatever its status, newest first, for operators: from the database, so it shows a change at once. */
  async listAll(query: { status?: ProductStatus; category?: string; limit: number; cursor?: string }): Promise<Page<ProductRecord>> {
    return this.pageFromDatabase({
      status: query.status,
      category: query.category,
      beforeId: decodeCursor(query.cursor),
      limit: query.limit,
    });
  }

  /** Products by id for a public view (top sellers), from the cache like `get`: never for prices that are charged. */
  async findManyCached(ids: number[]): Promise<Map<number, ProductRecord>> {
    return this.cache.productsById(ids, (missing) => this.findMany(missing));
  }

  /** Products by id from the database, for capturing names and prices at order time. Missing ids are absent. */
  async findMany(ids: number[]): Promise<Map<number, ProductRecord>> {
    return new Map((await this.products.findByIds(ids)).map((product) => [product.id, product]));
  }

  /**
   * Takes stock for every line inside the caller's transaction, or throws INSUFFICIENT_STOCK.
   * Rows are updated in product-id order so two payments never lock the same rows in opposite orders.
   */
  async reserveStock(lines: StockLine[]): Promise<void> {
    const now = new Date();
    for (const line of byProductId(lines)) {
      if (!(await this.products.takeStock(line.productId, line.quantity, now))) {
        throw new DomainError('INSUFFICIENT_STOCK', `Not enough stock for product ${line.productId}`);
      }
    }
    this.changedOnCommit(
      lines.map((line) => line.productId),
      { listing: false },
    );
  }

  /** Gives stock back (cancellation of a paid order), inside the caller's transaction. */
  async restoreStock(lines: StockLine[]): Promise<void> {
    const now = new Date();
    for (const line of byProductId(lines)) await this.products.returnStock(line.productId, line.quantity, now);
    this.changedOnCommit(
      lines.map((line) => line.productId),
      { listing: false },
    );
  }

  async count(): Promise<number> {
    return this.products.count();
  }

  private async pageFromDatabase(filter: ProductPageFilter & { limit: number }): Promise<Page<ProductRecord>> {
    return pageOf(await this.products.page(filter.limit + 1, filter), filter.limit, (product) => product);
  }

  /** Every instance's cached copies of these products go once the current transaction commits (never if it rolls back). */
  private changedOnCommit(ids: number[], change: ProductChange): void {
    this.transactions.afterCommit(() => this.cache.changed(ids, change));
  }
}

function byProductId(lines: StockLine[]): StockLine[] {
  return [...lines].sort((a, b) => a.productId - b.productId);
}
