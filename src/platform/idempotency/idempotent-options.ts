/** What @Idempotent() tells IdempotentHandler (a file of its own: both of them import it). */
export interface IdempotentOptions {
  /**
   * true (default): the handler runs in one transaction that also stores the reply, so a change
   * that committed always has its reply stored. false: for a handler that must commit on its own
   * before it returns (one that commits under a lock it then releases, or serves other callers'
   * requests in its transaction); its reply is stored just after, and can be lost if that fails.
   */
  completeInTransaction?: boolean;
}
