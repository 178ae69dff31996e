import * as Joi from 'joi';
import { randomUUID } from 'node:crypto';
import { MalformedMessageError, type OutgoingMessage } from '../../../platform/messaging/message-bus';

/**
 * The queue strategy's request message (docs/events.md): produced by the accepting api process,
 * decided by the `coupon-issuer` consumer group. Topic `coupon.issue.requested`, key = coupon id.
 */
export const COUPON_ISSUE_TOPIC = 'coupon.issue.requested';
/** Different coupons proceed in parallel on different partitions; one coupon stays on one. */
export const COUPON_ISSUE_PARTITIONS = 12;

export interface IssueRequestedEvent {
  requestId: string;
  couponId: number;
  userId: number;
  requestedAt: string;
}

/** The message that queues one request: keyed by coupon, so one coupon's requests are decided in arrival order. */
export function issueRequested(request: { requestId: string; couponId: number; userId: number; requestedAt: Date }): OutgoingMessage {
  const value: IssueRequestedEvent = {
    requestId: request.requestId,
    couponId: request.couponId,
    userId: request.userId,
    requestedAt: request.requestedAt.toISOString(),
  };
  return {
    topic: COUPON_ISSUE_TOPIC,
    key: String(request.couponId),
    value,
    headers: { 'event-id': randomUUID(), 'event-type': COUPON_ISSUE_TOPIC, 'occurred-at': value.requestedAt },
  };
}

const schema = Joi.object<IssueRequestedEvent>({
  requestId: Joi.string().min(1).required(),
  couponId: Joi.number().integer().positive().required(),
  userId: Joi.number().integer().positive().required(),
  requestedAt: Joi.string().isoDate().required(),
}).unknown(true);

/** Reads a queued issue request, or throws MalformedMessageError (dead-lettered at once). */
export function parseIssueRequested(value: unknown): IssueRequestedEvent {
  const result = schema.validate(value, { convert: false });
  if (result.error) throw new MalformedMessageError(`malformed ${COUPON_ISSUE_TOPIC}: ${result.error.message}`);
  return result.value;
}
