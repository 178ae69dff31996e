import { relayBackoffMs } from './backoff';

describe('relayBackoffMs', () => {
  const lowest = () => 0;
  const highest = () => 1;

  it('doubles from 200 ms with each failure in a row', () => {
    expect([1, 2, 3, 4].map((n) => relayBackoffMs(n, highest))).toEqual([200, 400, 800, 1_600]);
  });

  it('never waits more than 10 s', () => {
    expect(relayBackoffMs(6, highest)).toBe(6_400);
    expect(relayBackoffMs(7, highest)).toBe(10_000);
    expect(relayBackoffMs(1_000, highest)).toBe(10_000);
  });

  it('jitters between half the ceiling and the ceiling', () => {
    expect(relayBackoffMs(3, lowest)).toBe(400);
    expect(relayBackoffMs(3, () => 0.5)).toBe(600);
    for (let i = 0; i < 100; i++) {
      const wait = relayBackoffMs(20);
      expect(wait).toBeGreaterThanOrEqual(5_000);
      expect(wait).toBeLessThanOrEqual(10_000);
    }
  });
});
