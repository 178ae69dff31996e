import { Injectable } from '@nestjs/common';
import { isUniqueViolation } from '../../../platform/database/errors';
import { dateOf, placeholders, Sql } from '../../../platform/database/sql';
import { type CouponIssueRequest, type IssueRequestStatus } from '../entities/coupon.entities';

/**
 * All SQL of `coupon_issue_requests`, plain (`Sql`): the queue strategy's consumer records every
 * decision here, and the status endpoint reads it. Rows become objects in {@link toIssueRequest}.
 */
@Injectable()
export class IssueRequestRepository {
  constructor(private readonly sql: Sql) {}

  async findOwned(requestId: string, userId: number): Promise<CouponIssueRequest | null> {
    const { rows } = await this.sql.run<IssueRequestRow>(
      `SELECT ${COLUMNS} FROM coupon_issue_requests WHERE request_id = ? AND user_id = ?`,
      [requestId, userId],
    );
    return rows.length === 0 ? null : toIssueRequest(rows[0]);
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
    await this.sql.run(
      `INSERT INTO coupon_issue_requests (request_id, coupon_id, user_id, status, reason, user_coupon_id, requested_at, decided_at)
       VALUES ${requests.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      requests.flatMap((r) => [r.requestId, r.couponId, r.userId, r.status, r.reason, r.userCouponId, r.requestedAt, r.decidedAt]),
    );
  }

  /**
   * Records that a request the queue did not acknowledge was withdrawn, so that the consumer
   * leaves it undecided should the message have reached the broker after all. False when the
   * request was already decided (the message did get through, and was consumed first).
   */
  async withdraw(request: Pick<CouponIssueRequest, 'requestId' | 'couponId' | 'userId' | 'requestedAt'>, at: Date): Promise<boolean> {
    try {
      await this.sql.run(
        `INSERT INTO coupon_issue_requests (request_id, coupon_id, user_id, status, reason, user_coupon_id, requested_at, decided_at)
         VALUES (?, ?, ?, 'WITHDRAWN', 'QUEUE_UNAVAILABLE', NULL, ?, ?)`,
        [request.requestId, request.couponId, request.userId, request.requestedAt, at],
      );
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}

const COLUMNS = 'request_id, coupon_id, user_id, status, reason, user_coupon_id, requested_at, decided_at';

interface IssueRequestRow {
  request_id: string;
  coupon_id: number | string;
  user_id: number | string;
  status: string;
  reason: string | null;
  user_coupon_id: number | string | null;
  requested_at: Date | string;
  decided_at: Date | string | null;
}

/** A `coupon_issue_requests` row as read (mysql2 may give numbers as strings, SQLite dates as text). */
function toIssueRequest(row: IssueRequestRow): CouponIssueRequest {
  return {
    requestId: row.request_id,
    couponId: Number(row.coupon_id),
    userId: Number(row.user_id),
    status: row.status as IssueRequestStatus,
    reason: row.reason,
    userCouponId: row.user_coupon_id === null ? null : Number(row.user_coupon_id),
    requestedAt: dateOf(row.requested_at),
    decidedAt: row.decided_at === null ? null : dateOf(row.decided_at),
  };
}
