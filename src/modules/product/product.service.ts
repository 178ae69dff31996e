import { Injectable } from '@nestjs/common';
import { decodeCursor, Page, pageOf } from '../../platform/database/cursor';
import { TransactionRunner } from '../../platform/database/transaction-runner';
import { DomainError } from '../../platform/http/problem-catalog';
import { CreateProductRequest, UpdateProductRequest } from './dto/product.dto';
import { ProductRecord, ProductRepository } from './product.repository';

/** A product as the API and other modules see it. */
export type ProductView = ProductRecord;

export interface StockLine {
  productId: number;
  quantity: number;
}

/** The product module's public surface: catalogue reads and writes, and stock for checkout. */
@Injectable()
export class ProductService {
  constructor(
    private readonly products: ProductRepository,
    private readonly transactions: TransactionRunner,
  ) {}

  async create(input: CreateProductRequest): Promise<ProductView> {
    const { name, price, stock, category } = input;
    return this.transactions.run(() => this.products.insert({ name, price, stock, category, status: 'ON_SALE' }, new Date()));
  }

  async update(id: number, changes: UpdateProductRequest): Promise<ProductView> {
    // Fields left out of the PATCH are own `undefined` properties of the DTO (ES2022 class fields): skip them.
    const sent = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const product = await this.transactions.run(() => this.products.update(id, sent, new Date()));
    if (!product) throw new DomainError('PRODUCT_NOT_FOUND', `Product ${id} does not exist`);
    return product;
  }

  async get(id: number): Promise<ProductView> {
    const product = await this.products.findById(id);
    if (!product) throw new DomainError('PRODUCT_NOT_FOUND', `Product ${id} does not exist`);
    return product;
  }

  async list(query: { category?: string; limit: number; cursor?: string }): Promise<Page<ProductView>> {
    const rows = await this.products.list(query.limit + 1, { category: query.category, afterId: decodeCursor(query.cursor) });
    return pageOf(rows, query.limit, (product) => product);
  }

  /** Products by id, for capturing names and prices at order time. Missing ids are absent. */
  async findMany(ids: number[]): Promise<Map<number, ProductView>> {
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
  }

  /** Gives stock back (cancellation of a paid order), inside the caller's transaction. */
  async restoreStock(lines: StockLine[]): Promise<void> {
    const now = new Date();
    for (const line of byProductId(lines)) await this.products.returnStock(line.productId, line.quantity, now);
  }

  async count(): Promise<number> {
    return this.products.count();
  }
}

function byProductId(lines: StockLine[]): StockLine[] {
  return [...lines].sort((a, b) => a.productId - b.productId);
}
