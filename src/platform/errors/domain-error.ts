import { type ProblemCode, problemDefinition } from './problem-catalog';

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
    const { status, title } = problemDefinition(code);
    const frames = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(detail ?? title);
    Error.stackTraceLimit = frames;
  }

  get status(): number {
    return problemDefinition(this.code).status;
  }
}
