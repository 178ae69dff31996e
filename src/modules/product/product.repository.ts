import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { placeholders, Sql } from '../../platform/database/sql';
import { Product, ProductStatus } from './entities/product.entity';

/** A product as the module uses it (the timestamps stay in the table). */
export interface ProductRecord {
  id: number;
  name: string;
  price: number;
  stock: number;
  category: string;
  status: ProductStatus;
}

export type NewProduct = Omit<ProductRecord, 'id' | 'status'>;
export type ProductChanges = Partial<Omit<ProductRecord, 'id'>>;

export interface ProductPageFilter {
  status?: ProductStatus;
  category?: string;
  /** The cursor: the last id of the previous page. */
  beforeId?: number;
}

/**
 * All SQL of `products`. Catalogue reads are the most frequent requests and stock moves run in
 * every payment and cancellation: plain SQL through `Sql`. The admin's writes and the count go
 * through TypeORM. Rows and entities become records in one mapper ({@link productFromRow}).
 */
@Injectable()
export class ProductRepository {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly sql: Sql,
  ) {}

  private get products() {
    return this.txHost.tx.getRepository(Product);
  }

  async findById(id: number): Promise<ProductRecord | undefined> {
    const { rows } = await this.sql.run<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE id = ?`, [id]);
    return rows.length ? productFromRow(rows[0]) : undefined;
  }

  /** Products by id; missing ids are absent. */
  async findByIds(ids: number[]): Promise<ProductRecord[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.sql.run<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE id IN (${placeholders(ids.length)})`, ids);
    return rows.map(productFromRow);
  }

  /**
   * Up to `limit` products, newest (highest id) first, with ids below `beforeId` when given, of one
   * status and one category when given. The category index (category, id) serves a category's
   * page, read backwards; the primary key the others.
   */
  async page(limit: number, filter: ProductPageFilter = {}): Promise<ProductRecord[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    for (const [condition, value] of [
      ['status = ?', filter.status],
      ['category = ?', filter.category],
      ['id < ?', filter.beforeId],
    ] as const) {
      if (value === undefined) continue;
      conditions.push(condition);
      params.push(value);
    }
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')} ` : '';
    const { rows } = await this.sql.run<ProductRow>(`SELECT ${COLUMNS} FROM products ${where}ORDER BY id DESC LIMIT ?`, [...params, limit]);
    return rows.map(productFromRow);
  }

  /** Takes `quantity` in one conditional UPDATE: false when less is left, whatever runs concurrently. */
  async takeStock(productId: number, quantity: number, at: Date): Promise<boolean> {
    const { affected } = await this.sql.run('UPDATE products SET stock = stock - ?, updated_at = ? WHERE id = ? AND stock >= ?', [
      quantity,
      at,
      productId,
      quantity,
    ]);
    return affected > 0;
  }

  async returnStock(productId: number, quantity: number, at: Date): Promise<void> {
    await this.sql.run('UPDATE products SET stock = stock + ?, updated_at = ? WHERE id = ?', [quantity, at, productId]);
  }

  async insert(product: NewProduct & { status: ProductStatus }, at: Date): Promise<ProductRecord> {
    return productFromRow(await this.products.save(this.products.create({ ...product, createdAt: at, updatedAt: at })));
  }

  /** Applies the changes (run it in a transaction); undefined when the product does not exist. */
  async update(id: number, changes: ProductChanges, at: Date): Promise<ProductRecord | undefined> {
    const product = await this.products.findOneBy({ id });
    if (!product) return undefined;
    Object.assign(product, changes, { updatedAt: at });
    return productFromRow(await this.products.save(product));
  }

  async count(): Promise<number> {
    return this.products.count();
  }
}

const COLUMNS = 'id, name, price, stock, category, status';

/** A row as the driver returns it: mysql2 may return BIGINT (price) as a string. */
type ProductRow = Record<keyof ProductRecord, unknown>;

/** The one mapper of `products`: from a plain row or an entity, numbers converted explicitly. */
function productFromRow(row: ProductRow | Product): ProductRecord {
  return {
    id: Number(row.id),
    name: String(row.name),
    price: Number(row.price),
    stock: Number(row.stock),
    category: String(row.category),
    status: row.status as ProductStatus,
  };
}
