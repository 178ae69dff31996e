import * as Joi from 'joi';
import { MalformedMessageError } from '../../../platform/messaging/message-bus';
import type { Coupon, UserCoupon } from '../entities/coupon.entities';

export type IssueOutcome = { kind: 'issued'; userCoupon: UserCoupon } | { kind: 'queued'; requestId: string };

/** The issuing strategy port (COUPON_ISSUE_STRATEGY): lock answers 201 at once, queue 202 + status. */
export abstract class CouponIssuer {
  abstract readonly strategy: 'lock' | 'queue';
  abstract issue(coupon: Coupon, userId: number): Promise<IssueOutcome>;
}

export const COUPON_ISSUE_TOPIC = 'coupon.issue.requested';
/** Different coupons proceed in parallel on different partitions; one coupon stays on one. */
export const COUPON_ISSUE_PARTITIONS = 12;

/** `coupon.issue.requested` value (contract: Events). */
export interface IssueRequestedEvent {
  requestId: string;
  couponId: number;
  userId: number;
  requestedAt: string;
}

const issueRequested = Joi.object<IssueRequestedEvent>({
  requestId: Joi.string().min(1).required(),
  couponId: Joi.number().integer().positive().required(),
  userId: Joi.number().integer().positive().required(),
  requestedAt: Joi.string().isoDate().required(),
}).unknown(true);

/** Reads a queued issue request, or throws MalformedMessageError (dead-lettered at once). */
export function parseIssueRequested(value: unknown): IssueRequestedEvent {
  const result = issueRequested.validate(value, { convert: false });
  if (result.error) throw new MalformedMessageError(`malformed ${COUPON_ISSUE_TOPIC}: ${result.error.message}`);
  return result.value;
}
