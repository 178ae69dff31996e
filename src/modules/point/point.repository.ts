import { Injectable } from '@nestjs/common';
import { Sql } from '../../platform/database/sql';
import { SqlDialect } from '../../platform/database/sql-dialect';
import { Table } from '../../platform/database/table';
import { PointHistory, PointHistoryType } from './entities/point.entities';

const HISTORY = new Table(PointHistory);

/** All SQL of `point_balances` and `point_history`, through `Sql`; history rows become entities through {@link HISTORY}. */
@Injectable()
export class PointRepository {
  constructor(
    private readonly sql: Sql,
    private readonly dialect: SqlDialect,
  ) {}

  /** The balance, or undefined when the user has no account yet. */
  async balanceOf(userId: number): Promise<number | undefined> {
    const { rows } = await this.sql.run<{ balance: number | string }>('SELECT balance FROM point_balances WHERE user_id = ?', [userId]);
    return rows.length ? Number(rows[0].balance) : undefined;
  }

  /**
   * Creates the balance row at 0 (a concurrent creation wins quietly). Only call it when the row is
   * missing: on MySQL, INSERT IGNORE on an existing row takes a shared lock that deadlocks concurrent updates.
   */
  async openAccount(userId: number): Promise<void> {
    await this.sql.run(`${this.dialect.insertIgnore} INTO point_balances (user_id, balance, updated_at) VALUES (?, 0, ?)`, [
      userId,
      new Date(),
    ]);
  }

  /**
   * Adds `delta` (negative to deduct) in one conditional UPDATE: false when the account is missing
   * or the result would fall below `min` or above `max`, whatever runs concurrently.
   */
  async changeBalance(userId: number, delta: number, bounds: { min?: number; max?: number } = {}): Promise<boolean> {
    const conditions = [
      ...(bounds.min === undefined ? [] : [{ sql: ' AND balance + ? >= ?', params: [delta, bounds.min] }]),
      ...(bounds.max === undefined ? [] : [{ sql: ' AND balance + ? <= ?', params: [delta, bounds.max] }]),
    ];
    const { affected } = await this.sql.run(
      `UPDATE point_balances SET balance = balance + ?, updated_at = ? WHERE user_id = ?${conditions.map((c) => c.sql).join('')}`,
      [delta, new Date(), userId, ...conditions.flatMap((c) => c.params)],
    );
    return affected > 0;
  }

  /** Appends a history row; its balance_after is read by the INSERT itself, after this transaction's change. */
  async appendHistory(userId: number, type: PointHistoryType, amount: number, orderId: number | null): Promise<void> {
    await this.sql.run(
      `INSERT INTO point_history (user_id, type, amount, balance_after, order_id, created_at)
       VALUES (?, ?, ?, (SELECT b.balance FROM point_balances b WHERE b.user_id = ?), ?, ?)`,
      [userId, type, amount, userId, orderId, new Date()],
    );
  }

  /** Up to `limit` history rows of the user, newest first, with ids below `beforeId` when given. */
  async historyOf(userId: number, limit: number, beforeId?: number): Promise<PointHistory[]> {
    const { rows } = await this.sql.run(
      `SELECT ${HISTORY.columns} FROM point_history WHERE user_id = ?${beforeId === undefined ? '' : ' AND id < ?'} ORDER BY id DESC LIMIT ?`,
      [userId, ...(beforeId === undefined ? [] : [beforeId]), limit],
    );
    return rows.map((row) => HISTORY.read(row));
  }
}
