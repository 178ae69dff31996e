const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 10_000;

/**
 * Wait before the next relay pass after `failures` failed passes in a row: doubling from 200 ms,
 * capped at 10 s, with "equal jitter" (between half the ceiling and the ceiling) so that several
 * instances do not retry in step.
 */
export function relayBackoffMs(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (Math.max(1, failures) - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
