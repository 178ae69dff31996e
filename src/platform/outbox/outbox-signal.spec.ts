import { OutboxSignal } from './outbox-signal';

/** Settles what resolved so far; a pending wait stays pending. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('OutboxSignal (a commit wakes one idle relay pass)', () => {
  it('wakes one waiting pass per commit, the longest waiting first, so idle passes do not all claim the same rows', async () => {
    const signal = new OutboxSignal();
    const woken: string[] = [];
    const first = signal.wait(60_000).then(() => woken.push('first'));
    const second = signal.wait(60_000).then(() => woken.push('second'));

    signal.notify();
    await settle();
    expect(woken).toEqual(['first']);

    signal.notify();
    await Promise.all([first, second]);
    expect(woken).toEqual(['first', 'second']);
  });

  it('keeps a commit that came while no pass waited: the next wait returns at once', async () => {
    const signal = new OutboxSignal();
    signal.notify();
    let returned = false;
    void signal.wait(60_000).then(() => (returned = true));
    await settle();
    expect(returned).toBe(true);
  });

  it('wakes every waiting pass at shutdown', async () => {
    const signal = new OutboxSignal();
    const waits = [signal.wait(60_000), signal.wait(60_000), signal.wait(60_000)];
    signal.wakeAll();
    await expect(Promise.all(waits)).resolves.toHaveLength(3);
  });

  it('returns after the idle poll when nothing commits', async () => {
    jest.useFakeTimers();
    try {
      const signal = new OutboxSignal();
      let returned = false;
      void signal.wait(1_000).then(() => (returned = true));
      await jest.advanceTimersByTimeAsync(999);
      expect(returned).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(returned).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
