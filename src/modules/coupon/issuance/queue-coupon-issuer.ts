import { Injectable, Logger } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { randomUUID } from 'node:crypto';
import { Sql } from '../../../platform/database/sql';
import { TransactionRunner } from '../../../platform/database/transaction-runner';
import { DomainError } from '../../../platform/http/problem-catalog';
import { MessageBus } from '../../../platform/messaging/message-bus';
import { Coupon, CouponIssueRequest } from '../entities/coupon.entities';
import { COUPON_ISSUE_TOPIC, CouponIssuer, IssueOutcome, IssueRequestedEvent } from './coupon-issuer';

/**
 * queue: the request is stored PENDING, then appended to `coupon.issue.requested` keyed by coupon
 * id, and accepted (202) only once the broker acknowledged it. If it did not, the request is
 * deleted and the answer is 503: no request exists. The consumer decides in arrival order.
 */
@Injectable()
export class QueueCouponIssuer extends CouponIssuer {
  readonly strategy = 'queue' as const;
  private readonly logger = new Logger('QueueCouponIssuer');

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly transactions: TransactionRunner,
    private readonly bus: MessageBus,
    private readonly sql: Sql,
  ) {
    super();
  }

  async issue(coupon: Coupon, userId: number): Promise<IssueOutcome> {
    const requestId = randomUUID();
    const requestedAt = new Date();
    const requests = () => this.txHost.tx.getRepository(CouponIssueRequest);
    // One statement per accepted request: plain SQL, in autocommit where the engine allows.
    await this.transactions.runStatement(() =>
      this.sql.run(
        `INSERT INTO coupon_issue_requests (request_id, coupon_id, user_id, status, reason, user_coupon_id, requested_at, decided_at)
         VALUES (?, ?, ?, 'PENDING', NULL, NULL, ?, NULL)`,
        [requestId, coupon.id, userId, requestedAt],
      ),
    );
    const event: IssueRequestedEvent = { requestId, couponId: coupon.id, userId, requestedAt: requestedAt.toISOString() };
    try {
      await this.bus.publish([
        {
          topic: COUPON_ISSUE_TOPIC,
          key: String(coupon.id),
          value: event,
          headers: { 'event-id': requestId, 'event-type': COUPON_ISSUE_TOPIC, 'occurred-at': event.requestedAt },
        },
      ]);
    } catch (error) {
      this.logger.warn(`issue request ${requestId} not acknowledged by the queue: ${(error as Error).message}`);
      // Not acknowledged: forget the request (the consumer ignores a request it cannot find).
      await this.transactions.runStatement(() => requests().delete({ requestId, status: 'PENDING' })).catch(() => undefined);
      throw new DomainError('QUEUE_UNAVAILABLE', 'The issue queue did not accept the request; nothing was queued', {
        headers: { 'Retry-After': '5' },
      });
    }
    return { kind: 'queued', requestId };
  }
}
