export interface LockOptions {
  /** Lease: the lock frees itself after this long even if its holder died. */
  ttlMs: number;
  /** How long to wait for a held lock before giving up with {@link LockBusyError}. */
  waitMs: number;
}

/**
 * The locking port: run `work` while holding a named lock. Full profile: Redis (redlock);
 * embedded: in process. A lock only serialises; correctness must never depend on it alone.
 */
export abstract class LockManager {
  abstract withLock<T>(key: string, options: LockOptions, work: () => Promise<T>): Promise<T>;
}

/** The lock is held by someone else for longer than the caller may wait. */
export class LockBusyError extends Error {
  override name = 'LockBusyError';
}

/** The lock service cannot be reached: nothing was done. */
export class LockUnavailableError extends Error {
  override name = 'LockUnavailableError';
}
