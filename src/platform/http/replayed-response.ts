/** A stored response to send again as it was (status and body), e.g. an idempotent replay. */
export class ReplayedResponse extends Error {
  override name = 'ReplayedResponse';

  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super('replayed response');
  }
}
