import { Injectable } from '@nestjs/common';
import { isUniqueViolation } from '../../../platform/database/errors';
import { placeholders, Sql } from '../../../platform/database/sql';
import { Table } from '../../../platform/database/table';
import { CouponIssueRequest, type IssueRequestStatus } from '../entities/coupon.entities';

const REQUESTS = new Table(CouponIssueRequest);

/**
 * All SQL of `coupon_issue_requests`, through `Sql`: the queue strategy's consumer records every
 * decision here, and the status endpoint reads it. Rows become entities through {@link REQUESTS}.
 */
@Injectable()
export class IssueRequestRepository {
  constructor(private readonly sql: Sql) {}

  async findOwned(requestId: string, userId: number): Promise<CouponIssueRequest | null> {
    const { rows } = await this.sql.run(`SELECT ${REQUESTS.columns} FROM coupon_issue_requests WHERE request_id = ? AND user_id = ?`, [
      requestId,
      userId,
    ]);
    return rows.length === 0 ? null : REQUESTS.read(rows[0]);
  }

  /** The status of each of these requests that has a row. */
  async statusesOf(requestIds: string[]): Promise<Map<string, IssueRequestStatus>> {
    if (requestIds.length === 0) return new Map();
    const { rows } = await this.sql.run<{ request_id: string; status: string }>(
      `SELECT request_id, status FROM coupon_issue_requests WHERE request_id IN (${placeholders(requestIds.length)})`,
      requestIds,
    );
    return new Map(rows.map((row) => [row.request_id, row.status as IssueRequestStatus]));
  }

  /**
   * Records decided requests, replacing the PENDING rows of `replacingPending` (written before
   * the 202 by versions before signed request ids). The request id key refuses a second record.
   */
  async recordDecided(requests: CouponIssueRequest[], replacingPending: string[] = []): Promise<void> {
    if (requests.length === 0) return;
    if (replacingPending.length > 0)
      await this.sql.run(
        `DELETE FROM coupon_issue_requests WHERE status = 'PENDING' AND request_id IN (${placeholders(replacingPending.length)})`,
        replacingPending,
      );
    const { statement, params } = REQUESTS.insert(requests);
    await this.sql.run(statement, params);
  }

  /**
   * Records that a request the queue did not acknowledge was withdrawn, so that the consumer
   * leaves it undecided should the message have reached the broker after all. False when the
   * request was already decided (the message did get through, and was consumed first).
   */
  async withdraw(request: Pick<CouponIssueRequest, 'requestId' | 'couponId' | 'userId' | 'requestedAt'>, at: Date): Promise<boolean> {
    try {
      const { statement, params } = REQUESTS.insert([{ ...request, status: 'WITHDRAWN', reason: 'QUEUE_UNAVAILABLE', decidedAt: at }]);
      await this.sql.run(statement, params);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}
