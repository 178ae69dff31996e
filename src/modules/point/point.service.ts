import { Injectable } from '@nestjs/common';
import { decodeCursor, Page, pageOf } from '../../platform/database/cursor';
import { TransactionRunner } from '../../platform/database/transaction-runner';
import { DomainError } from '../../platform/errors/domain-error';
import type { Answer } from '../../platform/idempotency/answer';
import { IdempotencyService } from '../../platform/idempotency/idempotency.service';
import type { IdempotentRequest } from '../../platform/idempotency/idempotent-request';
import { PointHistoryType } from './entities/point.entities';
import { PointRepository } from './point.repository';

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
    private readonly points: PointRepository,
    private readonly transactions: TransactionRunner,
    private readonly idempotency: IdempotencyService,
  ) {}

  async balanceOf(userId: number): Promise<BalanceView> {
    return { userId, balance: (await this.points.balanceOf(userId)) ?? 0 };
  }

  async charge(userId: number, amount: number, key?: IdempotentRequest): Promise<Answer<BalanceView>> {
    return this.idempotency.once(key, async (store) => {
      if (!Number.isSafeInteger(amount) || amount < CHARGE_MIN || amount > CHARGE_MAX || amount % CHARGE_UNIT !== 0) {
        throw new DomainError(
          'INVALID_CHARGE_AMOUNT',
          `amount must be a multiple of ${CHARGE_UNIT} between ${CHARGE_MIN} and ${CHARGE_MAX}`,
        );
      }
      // A first charge opens the account on its own, before the charge's transaction. Inside it, the
      // UPDATE of a missing row locks the gap at the end of the table, and the INSERT then waits for
      // the gap another new user's charge holds: 50 first charges at once deadlocked until 29 of them
      // ran out of attempts.
      if ((await this.points.balanceOf(userId)) === undefined) await this.transactions.runStatement(() => this.points.openAccount(userId));
      return this.transactions.run(async () => {
        // Conditional increment: the cap holds whatever runs concurrently.
        const changed = await this.points.changeBalance(userId, amount, { max: BALANCE_CAP });
        if (!changed) throw new DomainError('BALANCE_LIMIT_EXCEEDED', `The balance may not exceed ${BALANCE_CAP}`);
        await this.points.appendHistory(userId, 'CHARGE', amount, null);
        return store(await this.balanceOf(userId));
      });
    });
  }

  /** Deducts points for an order inside the caller's transaction, or throws INSUFFICIENT_BALANCE. */
  async use(userId: number, amount: number, orderId: number): Promise<void> {
    if (amount === 0) return;
    // Conditional decrement: the balance can never go below zero.
    const changed = await this.points.changeBalance(userId, -amount, { min: 0 });
    if (!changed) throw new DomainError('INSUFFICIENT_BALANCE', `Paying needs ${amount} points`);
    await this.points.appendHistory(userId, 'USE', -amount, orderId);
  }

  /** Gives points back for a cancelled order, inside the caller's transaction. */
  async refund(userId: number, amount: number, orderId: number): Promise<void> {
    if (amount === 0) return;
    // A refund restores what was used, so it may take the balance past the charge cap.
    await this.points.changeBalance(userId, amount);
    await this.points.appendHistory(userId, 'REFUND', amount, orderId);
  }

  async history(userId: number, query: { limit: number; cursor?: string }): Promise<Page<PointHistoryView>> {
    const rows = await this.points.historyOf(userId, query.limit + 1, decodeCursor(query.cursor));
    return pageOf(rows, query.limit, (row) => ({
      id: row.id,
      type: row.type,
      amount: row.amount,
      balanceAfter: row.balanceAfter,
      orderId: row.orderId,
      createdAt: row.createdAt.toISOString(),
    }));
  }
}
