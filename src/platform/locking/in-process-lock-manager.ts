import { Injectable } from '@nestjs/common';
import { LockBusyError, LockManager, LockOptions } from './lock-manager';

/** Embedded adapter: a FIFO mutex per key inside this process. */
@Injectable()
export class InProcessLockManager extends LockManager {
  private readonly tails = new Map<string, Promise<void>>();

  async withLock<T>(key: string, options: LockOptions, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    try {
      await waitAtMost(previous, options.waitMs);
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

async function waitAtMost(turn: Promise<void>, waitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LockBusyError(`lock not available within ${waitMs} ms`)), waitMs);
  });
  try {
    await Promise.race([turn, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
