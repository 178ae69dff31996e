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
