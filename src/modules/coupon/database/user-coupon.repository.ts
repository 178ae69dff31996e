import { Injectable } from '@nestjs/common';
import { placeholders, Sql } from '../../../platform/database/sql';
import { Table } from '../../../platform/database/table';
import type { UserCouponStatusView } from '../coupon-views';
import { UserCoupon } from '../entities/coupon.entities';

/** What issuing writes for one copy; the id comes from the database. */
export type NewUserCoupon = Pick<UserCoupon, 'couponId' | 'userId' | 'issuedAt' | 'expiresAt'>;

const COPIES = new Table(UserCoupon);

/**
 * All SQL of the `user_coupons` table, through `Sql`: issuing, checkout and the wallet list all
 * read or write copies per request. Rows become entities through {@link COPIES}.
 */
@Injectable()
export class UserCouponRepository {
  constructor(private readonly sql: Sql) {}

  /** The user's copy, or null when it does not exist or is someone else's. */
  async findOwned(id: number, userId: number): Promise<UserCoupon | null> {
    const { rows } = await this.sql.run(`SELECT ${COPIES.columns} FROM user_coupons WHERE id = ? AND user_id = ?`, [id, userId]);
    return rows.length === 0 ? null : COPIES.read(rows[0]);
  }

  /** One page of the user's copies, newest first, `limit` rows from before the cursor id. */
  async pageOfUser(
    userId: number,
    filter: { status?: UserCouponStatusView; beforeId?: number; limit: number; now: Date },
  ): Promise<UserCoupon[]> {
    const conditions: Array<[string, ...unknown[]]> = [['user_id = ?', userId]];
    if (filter.beforeId !== undefined) conditions.push(['id < ?', filter.beforeId]);
    if (filter.status === 'USED') conditions.push(["status = 'USED'"]);
    if (filter.status === 'AVAILABLE') conditions.push(["status = 'AVAILABLE' AND expires_at > ?", filter.now]);
    if (filter.status === 'EXPIRED') conditions.push(["status = 'AVAILABLE' AND expires_at <= ?", filter.now]);
    const where = conditions.map(([sql]) => sql);
    const params = conditions.flatMap(([, ...values]) => values);
    const { rows } = await this.sql.run(
      `SELECT ${COPIES.columns} FROM user_coupons WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
      [...params, filter.limit],
    );
    return rows.map((row) => COPIES.read(row));
  }

  /** Marks the copy used by the order; false when it is not the user's, already used or expired. */
  async markUsed(id: number, userId: number, orderId: number, now: Date): Promise<boolean> {
    // Conditional update: a coupon is used once, by its owner, before it expires.
    const { affected } = await this.sql.run(
      "UPDATE user_coupons SET status = 'USED', used_at = ?, order_id = ? WHERE id = ? AND user_id = ? AND status = 'AVAILABLE' AND expires_at > ?",
      [now, orderId, id, userId, now],
    );
    return affected === 1;
  }

  /**
   * Makes the copy the order used available again; false when it expired, or the order does not
   * hold it (never used, or already given back and used by another order).
   */
  async markUnused(id: number, userId: number, orderId: number, now: Date): Promise<boolean> {
    const { affected } = await this.sql.run(
      "UPDATE user_coupons SET status = 'AVAILABLE', used_at = NULL, order_id = NULL WHERE id = ? AND user_id = ? AND status = 'USED' AND order_id = ? AND expires_at > ?",
      [id, userId, orderId, now],
    );
    return affected === 1;
  }

  /** Which of these users already hold a copy of the coupon. */
  async holdersAmong(couponId: number, userIds: number[]): Promise<Set<number>> {
    if (userIds.length === 0) return new Set();
    const { rows } = await this.sql.run<{ user_id: number | string }>(
      `SELECT user_id FROM user_coupons WHERE coupon_id = ? AND user_id IN (${placeholders(userIds.length)})`,
      [couponId, ...userIds],
    );
    return new Set(rows.map((row) => Number(row.user_id)));
  }

  /**
   * Writes copies of one coupon and reads them back with their ids (not assumed consecutive:
   * auto-increments are not promised so under interleaved lock mode). The unique (coupon, user)
   * key refuses a second copy for a user with a unique violation.
   */
  async insertCopies(copies: NewUserCoupon[]): Promise<UserCoupon[]> {
    if (copies.length === 0) return [];
    const { statement, params } = COPIES.insert(copies.map((copy) => ({ ...copy, status: 'AVAILABLE' as const })));
    await this.sql.run(statement, params);
    const { rows } = await this.sql.run(
      `SELECT ${COPIES.columns} FROM user_coupons WHERE coupon_id = ? AND user_id IN (${placeholders(copies.length)})`,
      [copies[0].couponId, ...copies.map((c) => c.userId)],
    );
    return rows.map((row) => COPIES.read(row));
  }

  /** How many copies were ever issued (copies are never deleted). */
  async countAll(): Promise<number> {
    return this.sql.count('user_coupons');
  }
}
