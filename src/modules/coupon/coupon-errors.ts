import { defineProblems } from '../../platform/errors/problem-catalog';

/** The coupon module's problem codes, in the one catalogue (docs/errors.md lists them for clients). */
export const COUPON_PROBLEMS = defineProblems({
  COUPON_NOT_FOUND: { status: 404, title: 'No such coupon' },
  COUPON_NOT_USABLE: { status: 409, title: 'The coupon cannot be used for this order' },
  COUPON_SOLD_OUT: { status: 409, title: 'The coupon is sold out' },
  COUPON_ALREADY_ISSUED: { status: 409, title: 'The coupon was already issued to this user' },
  COUPON_NOT_IN_ISSUE_PERIOD: { status: 409, title: 'The coupon is not being issued now' },
  ISSUE_REQUEST_NOT_FOUND: { status: 404, title: 'No such issue request' },
  COUPON_BUSY: { status: 503, title: 'The coupon is busy, retry shortly' },
  LOCK_UNAVAILABLE: { status: 503, title: 'The lock service is unavailable' },
  QUEUE_UNAVAILABLE: { status: 503, title: 'The issue queue is unavailable' },
});

type CouponProblems = typeof COUPON_PROBLEMS;

declare module '../../platform/errors/problem-catalog' {
  interface ProblemCodes extends CouponProblems {}
}
