import { HttpStatus, Injectable } from '@nestjs/common';
import { DomainError } from '../../../platform/errors/domain-error';
import type { Answer } from '../../../platform/idempotency/answer';
import { IdempotencyService } from '../../../platform/idempotency/idempotency.service';
import type { IdempotentRequest } from '../../../platform/idempotency/idempotent-request';
import { toUserCouponView, UserCouponView } from '../coupon-views';
import { CouponRepository } from '../database/coupon.repository';
import { IssueRequestRepository } from '../database/issue-request.repository';
import { Coupon } from '../entities/coupon.entities';
import { CouponIssuer, IssueOutcome } from './coupon-issuer';
import { CouponIssueMetrics } from './coupon-issue-metrics';
import { IssueHints } from './issue-hints';
import { IssueRequestIds } from './issue-request-id';
import { inIssuePeriod, issueRefusal } from './issue-rules';

const MAX_CACHED_TERMS = 10_000;

/** The queue strategy's answer: accepted (202), to be decided; its status at `/coupons/issue-requests/{requestId}`. */
export interface IssueAcceptedView {
  requestId: string;
  status: 'PENDING';
}

export interface IssueRequestView {
  requestId: string;
  couponId: number;
  status: 'PENDING' | 'ISSUED' | 'REJECTED';
  reason: string | null;
  userCouponId: number | null;
}

/** The front of issuing: the checks, the hints, then the strategy; and the status of a queued request. */
@Injectable()
export class CouponIssuance {
  /** Coupon terms by id, for the process's life (see {@link issueTerms}); one read per coupon in flight. */
  private readonly terms = new Map<number, Promise<Coupon | undefined>>();

  constructor(
    private readonly coupons: CouponRepository,
    private readonly requests: IssueRequestRepository,
    private readonly issuer: CouponIssuer,
    private readonly hints: IssueHints,
    private readonly ids: IssueRequestIds,
    private readonly metrics: CouponIssueMetrics,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * The copy issued now (lock strategy, 201) or the request accepted (queue strategy, 202). Either
   * strategy has committed before it returns (the lock one for a whole batch of callers, the queue
   * one leaves the decision to IssueRequestConsumer), so the answer is stored just after.
   */
  async issue(couponId: number, userId: number, key?: IdempotentRequest): Promise<Answer<UserCouponView | IssueAcceptedView>> {
    return this.idempotency.once(key, async (store) => {
      const outcome = await this.decide(couponId, userId);
      return outcome.kind === 'queued'
        ? store({ requestId: outcome.requestId, status: 'PENDING' }, HttpStatus.ACCEPTED)
        : store(toUserCouponView(outcome.userCoupon, (await this.issueTerms(couponId))!));
    });
  }

  /** The checks, the hints, then the strategy. */
  private async decide(couponId: number, userId: number): Promise<IssueOutcome> {
    const strategy = this.issuer.strategy;
    const refuse = (error: DomainError): DomainError => {
      this.metrics.outcomes.inc({ strategy, outcome: error.code });
      return error;
    };
    const coupon = await this.issueTerms(couponId);
    if (!coupon) throw refuse(issueRefusal('COUPON_NOT_FOUND', couponId));
    if (!inIssuePeriod(coupon, new Date())) throw refuse(issueRefusal('COUPON_NOT_IN_ISSUE_PERIOD', couponId));
    // Fast answers: no lock, no queue, when a hint already knows.
    const hint = await this.hints.lookup(couponId, userId);
    if (hint) throw refuse(issueRefusal(hint, couponId));
    try {
      const outcome = await this.issuer.issue(coupon, userId);
      if (outcome.kind === 'issued') await this.hints.addHolders(couponId, [userId]);
      this.metrics.outcomes.inc({ strategy, outcome: outcome.kind === 'issued' ? 'ISSUED' : 'QUEUED' });
      return outcome;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.code === 'COUPON_SOLD_OUT') await this.hints.markSoldOut(couponId);
      if (error.code === 'COUPON_ALREADY_ISSUED') await this.hints.addHolders(couponId, [userId]);
      throw refuse(error);
    }
  }

  /**
   * A queued request of the user: its recorded decision, or PENDING while the consumer has not
   * recorded one yet for an id this app issued to this user. Anything else is 404: an unknown id,
   * another user's, or one withdrawn because the queue refused it (its caller got 503).
   */
  async requestStatus(userId: number, requestId: string): Promise<IssueRequestView> {
    const request = await this.requests.findOwned(requestId, userId);
    if (request && request.status !== 'WITHDRAWN') {
      const { couponId, status, reason, userCouponId } = request;
      return { requestId, couponId, status, reason, userCouponId };
    }
    const couponId = request ? undefined : this.ids.couponOf(requestId, userId);
    if (couponId === undefined) throw new DomainError('ISSUE_REQUEST_NOT_FOUND', `Issue request ${requestId} does not exist`);
    return { requestId, couponId, status: 'PENDING', reason: null, userCouponId: null };
  }

  /**
   * A coupon's terms for issuing. Only `issued_quantity` ever changes after creation, and issuing
   * reads that from the database under the fence, so the terms are cached for the process's life.
   * The first callers of a drop share one read: a thousand requests in its first second would
   * otherwise queue a thousand identical reads for the pool and answer 503 once they waited
   * `DB_ACQUIRE_TIMEOUT_MS`. A failed or empty read is not kept, so the next caller reads again.
   */
  private issueTerms(id: number): Promise<Coupon | undefined> {
    const cached = this.terms.get(id);
    if (cached) return cached;
    if (this.terms.size >= MAX_CACHED_TERMS) this.terms.clear();
    const read = this.coupons.findById(id).then(
      (coupon) => {
        if (!coupon) this.forget(id, read);
        return coupon ?? undefined;
      },
      (error: unknown) => {
        this.forget(id, read);
        throw error;
      },
    );
    this.terms.set(id, read);
    return read;
  }

  private forget(id: number, read: Promise<Coupon | undefined>): void {
    if (this.terms.get(id) === read) this.terms.delete(id);
  }
}
