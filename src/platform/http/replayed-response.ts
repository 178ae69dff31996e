/** A stored response to send again as it was (status and body), e.g. an idempotent replay. */
export class ReplayedResponse extends Error {
  override name = 'ReplayedResponse';

  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    // Control flow, not a fault: no stack trace to capture (see DomainError).
    const frames = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super('replayed response');
    Error.stackTraceLimit = frames;
  }
}
