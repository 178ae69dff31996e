/**
 * Every stable error code the API answers with, its HTTP status and title: the one place where
 * domain errors are mapped to problem+json. docs/errors.md lists the same table for clients.
 */
export const PROBLEM_CATALOG = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  UNAUTHORIZED: { status: 401, title: 'Authentication is required' },
  INVALID_CREDENTIALS: { status: 401, title: 'Wrong email or password' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  EMAIL_TAKEN: { status: 409, title: 'The email is already registered' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  URI_TOO_LONG: { status: 414, title: 'The request URI is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be JSON' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'The idempotency key was used with another request' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'A request with this idempotency key is in progress' },
  RATE_LIMITED: { status: 429, title: 'Too many attempts, retry later' },
  // points
  INVALID_CHARGE_AMOUNT: { status: 400, title: 'The charge amount is not allowed' },
  BALANCE_LIMIT_EXCEEDED: { status: 409, title: 'The balance would exceed its limit' },
  INSUFFICIENT_BALANCE: { status: 409, title: 'Not enough points' },
  // products
  PRODUCT_NOT_FOUND: { status: 404, title: 'No such product' },
  PRODUCT_NOT_ON_SALE: { status: 409, title: 'The product is not on sale' },
  INSUFFICIENT_STOCK: { status: 409, title: 'Not enough stock' },
  // orders
  ORDER_NOT_FOUND: { status: 404, title: 'No such order' },
  ORDER_NOT_PENDING: { status: 409, title: 'The order is not pending' },
  ORDER_NOT_CANCELLABLE: { status: 409, title: 'The order cannot be cancelled' },
  ORDER_EXPIRED: { status: 409, title: 'The order expired before payment' },
  // coupons
  COUPON_NOT_FOUND: { status: 404, title: 'No such coupon' },
  COUPON_NOT_USABLE: { status: 409, title: 'The coupon cannot be used for this order' },
  COUPON_SOLD_OUT: { status: 409, title: 'The coupon is sold out' },
  COUPON_ALREADY_ISSUED: { status: 409, title: 'The coupon was already issued to this user' },
  COUPON_NOT_IN_ISSUE_PERIOD: { status: 409, title: 'The coupon is not being issued now' },
  ISSUE_REQUEST_NOT_FOUND: { status: 404, title: 'No such issue request' },
  COUPON_BUSY: { status: 503, title: 'The coupon is busy, retry shortly' },
  LOCK_UNAVAILABLE: { status: 503, title: 'The lock service is unavailable' },
  QUEUE_UNAVAILABLE: { status: 503, title: 'The issue queue is unavailable' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'A dependency is unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEM_CATALOG;

export interface FieldError {
  field: string;
  message: string;
}

/**
 * An error a client should see as problem+json with a stable code. Throw it from any layer.
 *
 * A refusal (4xx: sold out, not found, invalid) is an expected answer, not a fault: it is built
 * without a stack trace, which nobody reads and which costs 3% of a refused request's CPU. A 5xx
 * keeps its stack for the log.
 */
export class DomainError extends Error {
  override name = 'DomainError';

  constructor(
    readonly code: ProblemCode,
    detail?: string,
    /** `cause`: the failure behind a 503 (the problem filter names its dependency in the log). */
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    const frames = Error.stackTraceLimit;
    if (PROBLEM_CATALOG[code].status < 500) Error.stackTraceLimit = 0;
    super(detail ?? PROBLEM_CATALOG[code].title);
    Error.stackTraceLimit = frames;
  }

  get status(): number {
    return PROBLEM_CATALOG[this.code].status;
  }
}
