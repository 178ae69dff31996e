import { Injectable } from '@nestjs/common';

/** Wakes the relay right after a transaction that recorded events commits. */
@Injectable()
export class OutboxSignal {
  private waiter?: () => void;
  private pending = false;

  notify(): void {
    this.pending = true;
    this.waiter?.();
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
        self.waiter = undefined;
        self.pending = false;
        resolve();
      }
      this.waiter = done;
    });
  }
}
