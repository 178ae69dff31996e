import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { decodeCursor, Page, pageOf } from '../../platform/database/cursor';
import { placeholders, Sql } from '../../platform/database/sql';
import { TransactionRunner } from '../../platform/database/transaction-runner';
import { DomainError } from '../../platform/http/problem-catalog';
import { CreateProductRequest, UpdateProductRequest } from './dto/product.dto';
import { Product, ProductStatus } from './entities/product.entity';

export interface ProductView {
  id: number;
  name: string;
  price: number;
  stock: number;
  category: string;
  status: ProductStatus;
}

export interface StockLine {
  productId: number;
  quantity: number;
}

/** The product module's public surface: catalogue reads and writes, and stock for checkout. */
@Injectable()
export class ProductService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly transactions: TransactionRunner,
    private readonly sql: Sql,
  ) {}

  private get products() {
    return this.txHost.tx.getRepository(Product);
  }

  async create(input: CreateProductRequest): Promise<ProductView> {
    const now = new Date();
    return this.transactions.run(async () => {
      const product = await this.products.save(this.products.create({ ...input, status: 'ON_SALE', createdAt: now, updatedAt: now }));
      return toView(product);
    });
  }

  async update(id: number, changes: UpdateProductRequest): Promise<ProductView> {
    return this.transactions.run(async () => {
      const product = await this.products.findOneBy({ id });
      if (!product) throw new DomainError('PRODUCT_NOT_FOUND', `Product ${id} does not exist`);
      // Fields left out of the PATCH are own `undefined` properties of the DTO (ES2022 class fields): skip them.
      const sent = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
      Object.assign(product, sent, { updatedAt: new Date() });
      return toView(await this.products.save(product));
    });
  }

  // Catalogue reads are the most frequent requests: plain SQL (platform/database/sql.ts).
  async get(id: number): Promise<ProductView> {
    const { rows } = await this.sql.run<ProductView>(`SELECT ${VIEW_COLUMNS} FROM products WHERE id = ?`, [id]);
    if (rows.length === 0) throw new DomainError('PRODUCT_NOT_FOUND', `Product ${id} does not exist`);
    return toView(rows[0]);
  }

  async list(query: { category?: string; limit: number; cursor?: string }): Promise<Page<ProductView>> {
    const after = decodeCursor(query.cursor);
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.category) {
      conditions.push('category = ?');
      params.push(query.category);
    }
    if (after !== undefined) {
      conditions.push('id > ?');
      params.push(after);
    }
    const { rows } = await this.sql.run<ProductView>(
      `SELECT ${VIEW_COLUMNS} FROM products ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY id LIMIT ?`,
      [...params, query.limit + 1],
    );
    return pageOf(rows, query.limit, toView);
  }

  /** Products by id, for capturing names and prices at order time. Missing ids are absent. */
  async findMany(ids: number[]): Promise<Map<number, ProductView>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.sql.run<ProductView>(`SELECT ${VIEW_COLUMNS} FROM products WHERE id IN (${placeholders(ids.length)})`, ids);
    return new Map(rows.map((row) => [Number(row.id), toView(row)]));
  }

  /**
   * Takes stock for every line inside the caller's transaction, or throws INSUFFICIENT_STOCK.
   * Rows are updated in product-id order so two payments never lock the same rows in opposite orders.
   */
  async reserveStock(lines: StockLine[]): Promise<void> {
    const now = new Date();
    for (const line of [...lines].sort((a, b) => a.productId - b.productId)) {
      // Conditional decrement: the stock can never go below zero, whatever runs concurrently.
      const { affected } = await this.sql.run('UPDATE products SET stock = stock - ?, updated_at = ? WHERE id = ? AND stock >= ?', [
        line.quantity,
        now,
        line.productId,
        line.quantity,
      ]);
      if (!affected) throw new DomainError('INSUFFICIENT_STOCK', `Not enough stock for product ${line.productId}`);
    }
  }

  /** Gives stock back (cancellation of a paid order), inside the caller's transaction. */
  async restoreStock(lines: StockLine[]): Promise<void> {
    const now = new Date();
    for (const line of [...lines].sort((a, b) => a.productId - b.productId)) {
      await this.sql.run('UPDATE products SET stock = stock + ?, updated_at = ? WHERE id = ?', [line.quantity, now, line.productId]);
    }
  }

  async count(): Promise<number> {
    return this.products.count();
  }
}

const VIEW_COLUMNS = 'id, name, price, stock, category, status';

/** From an entity or a plain row (drivers may return integer columns as strings: BIGINT on MySQL). */
function toView(product: ProductView | Product): ProductView {
  const { id, name, price, stock, category, status } = product;
  return { id: Number(id), name, price: Number(price), stock: Number(stock), category, status };
}
