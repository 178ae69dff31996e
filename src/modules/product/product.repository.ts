import { Injectable } from '@nestjs/common';
import { placeholders, Sql } from '../../platform/database/sql';
import { Table } from '../../platform/database/table';
import { Product, ProductStatus } from './entities/product.entity';

const PRODUCTS = new Table(Product);
// The timestamps stay in the table: the module reads and answers only these.
const RECORD = PRODUCTS.pick('id', 'name', 'price', 'stock', 'category', 'status');

/** A product as the module uses it. */
export type ProductRecord = ReturnType<typeof RECORD.read>;
export type NewProduct = Omit<ProductRecord, 'id' | 'status'>;
export type ProductChanges = Partial<Omit<ProductRecord, 'id'>>;

export interface ProductPageFilter {
  status?: ProductStatus;
  category?: string;
  /** The cursor: the last id of the previous page. */
  beforeId?: number;
}

/** All SQL of `products`, through `Sql`; rows become records through {@link RECORD}. */
@Injectable()
export class ProductRepository {
  constructor(private readonly sql: Sql) {}

  async findById(id: number): Promise<ProductRecord | undefined> {
    const { rows } = await this.sql.run(`SELECT ${RECORD.columns} FROM products WHERE id = ?`, [id]);
    return rows.length ? RECORD.read(rows[0]) : undefined;
  }

  /** Products by id; missing ids are absent. */
  async findByIds(ids: number[]): Promise<ProductRecord[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.sql.run(`SELECT ${RECORD.columns} FROM products WHERE id IN (${placeholders(ids.length)})`, ids);
    return rows.map((row) => RECORD.read(row));
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
    const { rows } = await this.sql.run(`SELECT ${RECORD.columns} FROM products ${where}ORDER BY id DESC LIMIT ?`, [...params, limit]);
    return rows.map((row) => RECORD.read(row));
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
    const { statement, params } = PRODUCTS.insert([{ ...product, createdAt: at, updatedAt: at }]);
    const { insertId } = await this.sql.run(statement, params);
    return { id: insertId!, ...product };
  }

  /** Applies the changes (run it in a transaction); undefined when the product does not exist. */
  async update(id: number, changes: ProductChanges, at: Date): Promise<ProductRecord | undefined> {
    const set = Object.entries({ ...changes, updatedAt: at }) as Array<[keyof Product, unknown]>;
    const { affected } = await this.sql.run(
      `UPDATE products SET ${set.map(([property]) => `${PRODUCTS.column(property)} = ?`).join(', ')} WHERE id = ?`,
      [...set.map(([, value]) => value), id],
    );
    return affected > 0 ? this.findById(id) : undefined;
  }

  async count(): Promise<number> {
    return this.sql.count('products');
  }
}
