import { DomainError } from '../../../platform/errors/domain-error';
import type { Coupon } from '../entities/coupon.entities';

const DAY_MS = 86_400_000;

export type IssueRefusalCode = 'COUPON_NOT_FOUND' | 'COUPON_NOT_IN_ISSUE_PERIOD' | 'COUPON_SOLD_OUT' | 'COUPON_ALREADY_ISSUED';

const MESSAGES: Record<IssueRefusalCode, (couponId: number) => string> = {
  COUPON_NOT_FOUND: (id) => `Coupon ${id} does not exist`,
  COUPON_NOT_IN_ISSUE_PERIOD: (id) => `Coupon ${id} is not being issued now`,
  COUPON_SOLD_OUT: (id) => `Coupon ${id} is sold out`,
  COUPON_ALREADY_ISSUED: () => 'You already have this coupon',
};

/** The answer to a caller refused a copy, whichever strategy or hint refused it. */
export function issueRefusal(code: IssueRefusalCode, couponId: number): DomainError {
  return new DomainError(code, MESSAGES[code](couponId));
}

/** A copy issued at `issuedAt` can be used for the coupon's `validDays`. */
export function copyExpiresAt(coupon: Pick<Coupon, 'validDays'>, issuedAt: Date): Date {
  return new Date(issuedAt.getTime() + coupon.validDays * DAY_MS);
}

/** Whether the coupon is being issued at `now` (its window, when it has one, is open). */
export function inIssuePeriod(coupon: Pick<Coupon, 'issueStartsAt' | 'issueEndsAt'>, now: Date): boolean {
  return !((coupon.issueStartsAt && now < coupon.issueStartsAt) || (coupon.issueEndsAt && now >= coupon.issueEndsAt));
}
