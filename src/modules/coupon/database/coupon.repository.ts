import { Injectable } from '@nestjs/common';
import { placeholders, Sql } from '../../../platform/database/sql';
import { Table } from '../../../platform/database/table';
import { Coupon } from '../entities/coupon.entities';

export type NewCoupon = Omit<Coupon, 'id' | 'issuedQuantity' | 'createdAt'>;

const COUPONS = new Table(Coupon);

/** All SQL of the `coupons` table, through `Sql`; rows become entities through {@link COUPONS}. */
@Injectable()
export class CouponRepository {
  constructor(private readonly sql: Sql) {}

  async create(input: NewCoupon): Promise<Coupon> {
    const coupon = Object.assign(new Coupon(), input, { issuedQuantity: 0, createdAt: new Date() });
    const { statement, params } = COUPONS.insert([coupon]);
    coupon.id = (await this.sql.run(statement, params)).insertId!;
    return coupon;
  }

  async createMany(inputs: NewCoupon[]): Promise<void> {
    const createdAt = new Date();
    const { statement, params } = COUPONS.insert(inputs.map((input) => ({ ...input, issuedQuantity: 0, createdAt })));
    await this.sql.run(statement, params);
  }

  async count(): Promise<number> {
    return this.sql.count('coupons');
  }

  async findById(id: number): Promise<Coupon | null> {
    const { rows } = await this.sql.run(`SELECT ${COUPONS.columns} FROM coupons WHERE id = ?`, [id]);
    return rows.length === 0 ? null : COUPONS.read(rows[0]);
  }

  async findByIds(ids: number[]): Promise<Coupon[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.sql.run(`SELECT ${COUPONS.columns} FROM coupons WHERE id IN (${placeholders(ids.length)})`, ids);
    return rows.map((row) => COUPONS.read(row));
  }

  /** The newest coupons whose issue window is open at `at` (the stock gauges). */
  async openForIssue(at: Date, limit: number): Promise<Coupon[]> {
    const { rows } = await this.sql.run(
      `SELECT ${COUPONS.columns} FROM coupons
        WHERE (issue_starts_at IS NULL OR issue_starts_at <= ?) AND (issue_ends_at IS NULL OR issue_ends_at > ?)
        ORDER BY id DESC LIMIT ?`,
      [at, at, limit],
    );
    return rows.map((row) => COUPONS.read(row));
  }

  /**
   * Takes the coupon's row lock for the rest of the transaction (batches of one coupon never
   * interleave) and reads the row. A no-op UPDATE rather than `FOR UPDATE`, which SQLite lacks.
   */
  async lockForIssue(couponId: number): Promise<Coupon | null> {
    await this.sql.run('UPDATE coupons SET issued_quantity = issued_quantity WHERE id = ?', [couponId]);
    return this.findById(couponId);
  }

  /** Counts `n` more copies issued; false (nothing changed) when that would exceed the stock. */
  async addIssued(couponId: number, n: number): Promise<boolean> {
    // The fence: the increment only applies while it fits the stock, whatever runs concurrently.
    const { affected } = await this.sql.run(
      'UPDATE coupons SET issued_quantity = issued_quantity + ? WHERE id = ? AND issued_quantity + ? <= total_quantity',
      [n, couponId, n],
    );
    return affected === 1;
  }
}
