import { Injectable, Logger } from '@nestjs/common';
import { TransactionRunner } from '../../../platform/database/transaction-runner';
import { unavailableDependency } from '../../../platform/http/dependency-errors';
import { DomainError } from '../../../platform/errors/domain-error';
import { MessageBus } from '../../../platform/messaging/message-bus';
import { IssueRequestRepository } from '../database/issue-request.repository';
import { Coupon } from '../entities/coupon.entities';
import { issueRequested } from '../contracts/issue-requested';
import { CouponIssuer, IssueOutcome } from './coupon-issuer';
import { IssueRequestIds } from './issue-request-id';

/**
 * queue: the request is appended to `coupon.issue.requested`, keyed by coupon id, and accepted
 * (202) once the broker acknowledged it: the message is the durable record, and the consumer
 * writes the request's row with its decision, in arrival order. Until then the signed request id
 * lets the status endpoint answer PENDING ({@link IssueRequestIds}).
 *
 * Not acknowledged: the answer is 503 and the request is recorded WITHDRAWN, so that a message
 * that reached the broker after all is not decided. Should that write fail too, nothing is left
 * PENDING (no row was written), and the id was never shown to anyone.
 */
@Injectable()
export class QueueCouponIssuer extends CouponIssuer {
  readonly strategy = 'queue' as const;
  private readonly logger = new Logger('QueueCouponIssuer');

  constructor(
    private readonly bus: MessageBus,
    private readonly ids: IssueRequestIds,
    private readonly requests: IssueRequestRepository,
    private readonly transactions: TransactionRunner,
  ) {
    super();
  }

  async issue(coupon: Coupon, userId: number): Promise<IssueOutcome> {
    const requestId = this.ids.issue(coupon.id, userId);
    const requestedAt = new Date();
    try {
      await this.bus.publish([issueRequested({ requestId, couponId: coupon.id, userId, requestedAt })]);
    } catch (error) {
      if (!unavailableDependency(error))
        this.logger.warn(`issue request ${requestId} not acknowledged by the queue: ${(error as Error).message}`);
      if (!(await this.withdraw({ requestId, couponId: coupon.id, userId, requestedAt }))) {
        return { kind: 'queued', requestId }; // it did reach the broker, and is already decided
      }
      // Retry-After: RETRY_AFTER_UNAVAILABLE_SECONDS, as on every 503 of an unavailable dependency (the problem filter).
      throw new DomainError('QUEUE_UNAVAILABLE', 'The issue queue did not accept the request; nothing was queued', { cause: error });
    }
    return { kind: 'queued', requestId };
  }

  /** False when the request turns out to be decided already; a failure to record it is logged, not thrown. */
  private async withdraw(request: { requestId: string; couponId: number; userId: number; requestedAt: Date }): Promise<boolean> {
    try {
      return await this.transactions.runStatement(() => this.requests.withdraw(request, new Date()));
    } catch (error) {
      this.logger.error(
        `issue request ${request.requestId} could not be recorded as withdrawn (${(error as Error).message}): ` +
          'should its message have reached the broker, it will be decided',
      );
      return true;
    }
  }
}
