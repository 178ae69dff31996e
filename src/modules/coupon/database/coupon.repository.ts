import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { dateOf, placeholders, Sql } from '../../../platform/database/sql';
import { Coupon, type DiscountType } from '../entities/coupon.entities';

export type NewCoupon = Omit<Coupon, 'id' | 'issuedQuantity' | 'createdAt'>;

/**
 * All SQL of the `coupons` table. Reads and issuing's statements are plain (`Sql`, rows mapped by
 * {@link toCoupon}): they run per issue batch and per checkout. Creating a campaign uses TypeORM.
 */
@Injectable()
export class CouponRepository {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly sql: Sql,
  ) {}

  async create(input: NewCoupon): Promise<Coupon> {
    return this.coupons().save({ ...input, issuedQuantity: 0, createdAt: new Date() });
  }

  async createMany(inputs: NewCoupon[]): Promise<void> {
    const createdAt = new Date();
    await this.coupons().save(inputs.map((input) => ({ ...input, issuedQuantity: 0, createdAt })));
  }

  async count(): Promise<number> {
    return this.coupons().count();
  }

  async findById(id: number): Promise<Coupon | null> {
    const { rows } = await this.sql.run<CouponRow>(`SELECT ${COLUMNS} FROM coupons WHERE id = ?`, [id]);
    return rows.length === 0 ? null : toCoupon(rows[0]);
  }

  async findByIds(ids: number[]): Promise<Coupon[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.sql.run<CouponRow>(`SELECT ${COLUMNS} FROM coupons WHERE id IN (${placeholders(ids.length)})`, ids);
    return rows.map(toCoupon);
  }

  /** The newest coupons whose issue window is open at `at` (the stock gauges). */
  async openForIssue(at: Date, limit: number): Promise<Coupon[]> {
    const { rows } = await this.sql.run<CouponRow>(
      `SELECT ${COLUMNS} FROM coupons
        WHERE (issue_starts_at IS NULL OR issue_starts_at <= ?) AND (issue_ends_at IS NULL OR issue_ends_at > ?)
        ORDER BY id DESC LIMIT ?`,
      [at, at, limit],
    );
    return rows.map(toCoupon);
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

  private coupons() {
    return this.txHost.tx.getRepository(Coupon);
  }
}

const COLUMNS =
  'id, name, discount_type, discount_value, total_quantity, issued_quantity, min_order_amount, max_discount_amount, ' +
  'valid_days, issue_starts_at, issue_ends_at, created_at';

interface CouponRow {
  id: number | string;
  name: string;
  discount_type: string;
  discount_value: number | string;
  total_quantity: number | string;
  issued_quantity: number | string;
  min_order_amount: number | string;
  max_discount_amount: number | string | null;
  valid_days: number | string;
  issue_starts_at: Date | string | null;
  issue_ends_at: Date | string | null;
  created_at: Date | string;
}

/** A `coupons` row as read by plain SQL (mysql2 may give BIGINT as a string, SQLite dates as text). */
function toCoupon(row: CouponRow): Coupon {
  return {
    id: Number(row.id),
    name: row.name,
    discountType: row.discount_type as DiscountType,
    discountValue: Number(row.discount_value),
    totalQuantity: Number(row.total_quantity),
    issuedQuantity: Number(row.issued_quantity),
    minOrderAmount: Number(row.min_order_amount),
    maxDiscountAmount: row.max_discount_amount === null ? null : Number(row.max_discount_amount),
    validDays: Number(row.valid_days),
    issueStartsAt: row.issue_starts_at === null ? null : dateOf(row.issue_starts_at),
    issueEndsAt: row.issue_ends_at === null ? null : dateOf(row.issue_ends_at),
    createdAt: dateOf(row.created_at),
  };
}
