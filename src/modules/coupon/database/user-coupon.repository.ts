import { Injectable } from '@nestjs/common';
import { dateOf, placeholders, Sql } from '../../../platform/database/sql';
import type { UserCouponStatusView } from '../coupon-views';
import { type UserCoupon, type UserCouponStatus } from '../entities/coupon.entities';

/** What issuing writes for one copy; the id comes from the database. */
export type NewUserCoupon = Pick<UserCoupon, 'couponId' | 'userId' | 'issuedAt' | 'expiresAt'>;

/**
 * All SQL of the `user_coupons` table, plain (`Sql`): issuing, checkout and the wallet list all
 * read or write copies per request. Rows become objects in one place, {@link toUserCoupon}.
 */
@Injectable()
export class UserCouponRepository {
  constructor(private readonly sql: Sql) {}

  /** The user's copy, or null when it does not exist or is someone else's. */
  async findOwned(id: number, userId: number): Promise<UserCoupon | null> {
    const { rows } = await this.sql.run<UserCouponRow>(`SELECT ${COLUMNS} FROM user_coupons WHERE id = ? AND user_id = ?`, [id, userId]);
    return rows.length === 0 ? null : toUserCoupon(rows[0]);
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
    const { rows } = await this.sql.run<UserCouponRow>(
      `SELECT ${COLUMNS} FROM user_coupons WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
      [...params, filter.limit],
    );
    return rows.map(toUserCoupon);
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
    await this.sql.run(
      `INSERT INTO user_coupons (coupon_id, user_id, status, issued_at, expires_at, used_at, order_id)
       VALUES ${copies.map(() => "(?, ?, 'AVAILABLE', ?, ?, NULL, NULL)").join(', ')}`,
      copies.flatMap((c) => [c.couponId, c.userId, c.issuedAt, c.expiresAt]),
    );
    const { rows } = await this.sql.run<UserCouponRow>(
      `SELECT ${COLUMNS} FROM user_coupons WHERE coupon_id = ? AND user_id IN (${placeholders(copies.length)})`,
      [copies[0].couponId, ...copies.map((c) => c.userId)],
    );
    return rows.map(toUserCoupon);
  }

  /** How many copies were ever issued (copies are never deleted). */
  async countAll(): Promise<number> {
    const { rows } = await this.sql.run<{ n: number | string }>('SELECT COUNT(*) AS n FROM user_coupons');
    return Number(rows[0].n);
  }
}

const COLUMNS = 'id, coupon_id, user_id, status, issued_at, expires_at, used_at, order_id';

interface UserCouponRow {
  id: number | string;
  coupon_id: number | string;
  user_id: number | string;
  status: string;
  issued_at: Date | string;
  expires_at: Date | string;
  used_at: Date | string | null;
  order_id: number | string | null;
}

/** A `user_coupons` row as read (mysql2 may give numbers as strings, SQLite dates as text). */
function toUserCoupon(row: UserCouponRow): UserCoupon {
  return {
    id: Number(row.id),
    couponId: Number(row.coupon_id),
    userId: Number(row.user_id),
    status: row.status as UserCouponStatus,
    issuedAt: dateOf(row.issued_at),
    expiresAt: dateOf(row.expires_at),
    usedAt: row.used_at === null ? null : dateOf(row.used_at),
    orderId: row.order_id === null ? null : Number(row.order_id),
  };
}
