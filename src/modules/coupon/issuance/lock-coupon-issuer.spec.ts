import type { AppConfig } from '../../../platform/config/app-config';
import { LockManager, type LockOptions } from '../../../platform/locking/lock-manager';
import type { Coupon } from '../entities/coupon.entities';
import type { CouponIssueMetrics } from './coupon-issue-metrics';
import type { CouponLedger } from './coupon-ledger';
import { LockCouponIssuer } from './lock-coupon-issuer';

const COUPON = { id: 7 } as Coupon;
const CONFIG = { coupon: { lockTtlMs: 3_000, lockWaitMs: 2_000 }, retryAfter: { busySeconds: 1 } } as AppConfig;

/** A lock service that never ends a hold: `work` runs or not, and withLock never returns. */
class StuckLockManager extends LockManager {
  constructor(private readonly runsWork: boolean) {
    super();
  }

  async withLock<T>(_key: string, _options: LockOptions, work: () => Promise<T>): Promise<T> {
    if (this.runsWork) await work();
    return new Promise<T>(() => undefined);
  }
}

function issuer(locks: LockManager) {
  const ledger = { issueBatch: jest.fn(async (_: number, users: number[]) => users.map((userId) => ({ userId, copy: { userId } }))) };
  const metrics = { lockWait: { observe: jest.fn() } };
  return new LockCouponIssuer(locks, ledger as unknown as CouponLedger, CONFIG, metrics as unknown as CouponIssueMetrics);
}

describe('lock strategy: a caller in line', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('is told COUPON_BUSY at the end of its wait even when the lock service never answers', async () => {
    const lock = issuer(new StuckLockManager(false));
    const outcomes = Promise.allSettled([lock.issue(COUPON, 1), lock.issue(COUPON, 2)]);
    await jest.advanceTimersByTimeAsync(CONFIG.coupon.lockWaitMs);
    expect((await outcomes).map((o) => (o.status === 'rejected' ? (o.reason as { code: string }).code : o.status))).toEqual([
      'COUPON_BUSY',
      'COUPON_BUSY',
    ]);
  });

  it('is told COUPON_BUSY at the end of its wait when the hold before it never ends after serving its batch', async () => {
    const lock = issuer(new StuckLockManager(true));
    await expect(lock.issue(COUPON, 1)).resolves.toMatchObject({ kind: 'issued' });
    const behind = lock.issue(COUPON, 2);
    const told = expect(behind).rejects.toMatchObject({ code: 'COUPON_BUSY' });
    await jest.advanceTimersByTimeAsync(CONFIG.coupon.lockWaitMs);
    await told;
  });
});
