import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { FindOptionsWhere, LessThan } from 'typeorm';
import { decodeCursor, Page, pageOf } from '../../platform/database/cursor';
import { Sql } from '../../platform/database/sql';
import { TransactionRunner } from '../../platform/database/transaction-runner';
import { DomainError } from '../../platform/http/problem-catalog';
import { PointBalance, PointHistory, PointHistoryType } from './entities/point.entities';

export const CHARGE_UNIT = 1_000;
export const CHARGE_MIN = 1_000;
export const CHARGE_MAX = 1_000_000;
export const BALANCE_CAP = 10_000_000;

export interface BalanceView {
  userId: number;
  balance: number;
}

export interface PointHistoryView {
  id: number;
  type: PointHistoryType;
  amount: number;
  balanceAfter: number;
  orderId: number | null;
  createdAt: string;
}

/**
 * The point module's public surface. Every balance change is a conditional UPDATE (never below 0,
 * never above the cap) followed by exactly one history row, in the same transaction.
 */
@Injectable()
export class PointService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly transactions: TransactionRunner,
    private readonly sql: Sql,
  ) {}

  async balanceOf(userId: number): Promise<BalanceView> {
    const row = await this.txHost.tx.getRepository(PointBalance).findOneBy({ userId });
    return { userId, balance: row?.balance ?? 0 };
  }

  async charge(userId: number, amount: number): Promise<BalanceView> {
    if (!Number.isSafeInteger(amount) || amount < CHARGE_MIN || amount > CHARGE_MAX || amount % CHARGE_UNIT !== 0) {
      throw new DomainError('INVALID_CHARGE_AMOUNT', `amount must be a multiple of ${CHARGE_UNIT} between ${CHARGE_MIN} and ${CHARGE_MAX}`);
    }
    return this.transactions.run(async () => {
      // Conditional increment: the cap holds whatever runs concurrently.
      let changed = await this.changeBalance(userId, amount, ' AND balance + ? <= ?', [amount, BALANCE_CAP]);
      if (!changed && !(await this.hasAccount(userId))) {
        await this.openAccount(userId);
        changed = await this.changeBalance(userId, amount, ' AND balance + ? <= ?', [amount, BALANCE_CAP]);
      }
      if (!changed) throw new DomainError('BALANCE_LIMIT_EXCEEDED', `The balance may not exceed ${BALANCE_CAP}`);
      await this.recordHistory(userId, 'CHARGE', amount, null);
      return this.balanceOf(userId);
    });
  }

  /** Deducts points for an order inside the caller's transaction, or throws INSUFFICIENT_BALANCE. */
  async use(userId: number, amount: number, orderId: number): Promise<void> {
    if (amount === 0) return;
    // Conditional decrement: the balance can never go below zero.
    const changed = await this.changeBalance(userId, -amount, ' AND balance >= ?', [amount]);
    if (!changed) throw new DomainError('INSUFFICIENT_BALANCE', `Paying needs ${amount} points`);
    await this.recordHistory(userId, 'USE', -amount, orderId);
  }

  /** Gives points back for a cancelled order, inside the caller's transaction. */
  async refund(userId: number, amount: number, orderId: number): Promise<void> {
    if (amount === 0) return;
    // A refund restores what was used, so it may take the balance past the charge cap.
    await this.changeBalance(userId, amount);
    await this.recordHistory(userId, 'REFUND', amount, orderId);
  }

  async history(userId: number, query: { limit: number; cursor?: string }): Promise<Page<PointHistoryView>> {
    const before = decodeCursor(query.cursor);
    const where: FindOptionsWhere<PointHistory> = { userId };
    if (before !== undefined) where.id = LessThan(before);
    const rows = await this.txHost.tx.getRepository(PointHistory).find({ where, order: { id: 'DESC' }, take: query.limit + 1 });
    return pageOf(rows, query.limit, (row) => ({
      id: row.id,
      type: row.type,
      amount: row.amount,
      balanceAfter: row.balanceAfter,
      orderId: row.orderId,
      createdAt: row.createdAt.toISOString(),
    }));
  }

  private async hasAccount(userId: number): Promise<boolean> {
    return this.txHost.tx.getRepository(PointBalance).existsBy({ userId });
  }

  /**
   * Creates the balance row on a user's first charge. Only called when the row is missing: on
   * MySQL, INSERT IGNORE on an existing row takes a shared lock that deadlocks concurrent updates.
   */
  private async openAccount(userId: number): Promise<void> {
    await this.txHost.tx
      .createQueryBuilder()
      .insert()
      .into(PointBalance)
      .values({ userId, balance: 0, updatedAt: new Date() })
      .orIgnore()
      .execute();
  }

  /** Balance changes run on every payment: plain SQL. `condition` is appended with its own parameters. */
  private async changeBalance(userId: number, delta: number, condition = '', conditionParams: unknown[] = []): Promise<boolean> {
    const { affected } = await this.sql.run(
      `UPDATE point_balances SET balance = balance + ?, updated_at = ? WHERE user_id = ?${condition}`,
      [delta, new Date(), userId, ...conditionParams],
    );
    return affected > 0;
  }

  /** Appends the history row; its balance_after is read by the INSERT itself, after this transaction's change. */
  private async recordHistory(userId: number, type: PointHistoryType, amount: number, orderId: number | null): Promise<void> {
    await this.sql.run(
      `INSERT INTO point_history (user_id, type, amount, balance_after, order_id, created_at)
       VALUES (?, ?, ?, (SELECT b.balance FROM point_balances b WHERE b.user_id = ?), ?, ?)`,
      [userId, type, amount, userId, orderId, new Date()],
    );
  }
}
