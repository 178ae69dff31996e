import type { AppConfig } from '../../../platform/config/app-config';
import type { TransactionRunner } from '../../../platform/database/transaction-runner';
import type { IdempotencyKeyRepository } from '../../../platform/idempotency/idempotency-key.repository';
import { IdempotencyService } from '../../../platform/idempotency/idempotency.service';
import { Metrics } from '../../../platform/observability/metrics';
import type { CouponRepository } from '../database/coupon.repository';
import type { IssueRequestRepository } from '../database/issue-request.repository';
import type { Coupon } from '../entities/coupon.entities';
import { CouponIssuance } from './coupon-issuance';
import type { CouponIssuer } from './coupon-issuer';
import { CouponIssueMetrics } from './coupon-issue-metrics';
import type { IssueRequestIds } from './issue-request-id';

const COUPON = { id: 7, issueStartsAt: null, issueEndsAt: null } as unknown as Coupon;

function issuance(findById: jest.Mock) {
  const issuer = { strategy: 'queue', issue: jest.fn().mockResolvedValue({ kind: 'queued', requestId: 'r' }) };
  const hints = { lookup: jest.fn().mockResolvedValue(undefined), addHolders: jest.fn(), markSoldOut: jest.fn() };
  const metrics = new CouponIssueMetrics(new Metrics(), { openForIssue: jest.fn().mockResolvedValue([]) } as unknown as CouponRepository);
  return new CouponIssuance(
    { findById } as unknown as CouponRepository,
    {} as IssueRequestRepository,
    issuer as unknown as CouponIssuer,
    hints,
    {} as IssueRequestIds,
    metrics,
    // Without an Idempotency-Key it touches none of these.
    new IdempotencyService({} as IdempotencyKeyRepository, {} as TransactionRunner, {} as AppConfig),
  );
}

describe("a coupon's terms for issuing", () => {
  it("are read once for a drop's first callers, however many arrive before the read returns", async () => {
    const findById = jest.fn(() => new Promise<Coupon>((resolve) => setTimeout(() => resolve(COUPON), 10)));
    const front = issuance(findById);
    expect(await Promise.all(Array.from({ length: 50 }, (_, user) => front.issue(7, user + 1)))).toHaveLength(50);
    await front.issue(7, 51);
    expect(findById).toHaveBeenCalledTimes(1);
  });

  it('are read again after a failed read, and after an unknown coupon (it may be created next)', async () => {
    const findById = jest
      .fn()
      .mockRejectedValueOnce(new Error('no database connection'))
      .mockResolvedValueOnce(null)
      .mockResolvedValue(COUPON);
    const front = issuance(findById);
    await expect(front.issue(7, 1)).rejects.toThrow('no database connection');
    await expect(front.issue(7, 1)).rejects.toMatchObject({ code: 'COUPON_NOT_FOUND' });
    await expect(front.issue(7, 1)).resolves.toEqual({ replayed: false, status: 202, body: { requestId: 'r', status: 'PENDING' } });
    await front.issue(7, 2);
    expect(findById).toHaveBeenCalledTimes(3);
  });
});
