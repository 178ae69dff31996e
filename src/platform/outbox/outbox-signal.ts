import { Injectable } from '@nestjs/common';

/** Wakes the relay right after a transaction that recorded events commits. */
@Injectable()
export class OutboxSignal {
  private readonly waiters = new Set<() => void>();
  private pending = false;

  /** Wakes every waiting relay loop; with none waiting, the next wait returns at once. */
  notify(): void {
    if (this.waiters.size === 0) this.pending = true;
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves on the next notify (or at once if one came since the last wait), or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.waiters.delete(done);
        resolve();
      }
      this.waiters.add(done);
    });
  }
}
