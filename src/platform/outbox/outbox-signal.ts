import { Injectable } from '@nestjs/common';

/** Wakes the relay right after a transaction that recorded events commits. */
@Injectable()
export class OutboxSignal {
  private readonly waiters = new Set<() => void>();
  private pending = false;

  /**
   * Wakes one waiting relay pass, the longest waiting; with none waiting, the next wait returns at
   * once. One is enough: a pass claims every committed row (up to a batch), and waking every idle
   * pass would send them all to claim the same rows, most of them to find nothing.
   */
  notify(): void {
    const [wake] = this.waiters;
    if (wake) wake();
    else this.pending = true;
  }

  /** Wakes every waiting pass (shutdown). */
  wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves on the next notify (or at once if one came since the last wait), or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }
}
