import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../platform/config/app-config';
import { InjectAppConfig } from '../../../platform/config/config.module';
import { DomainError } from '../../../platform/http/problem-catalog';
import { LockBusyError, LockManager, LockUnavailableError } from '../../../platform/locking/lock-manager';
import { Coupon } from '../entities/coupon.entities';
import { CouponLedger } from './coupon-ledger';
import { CouponIssuer, IssueOutcome } from './coupon-issuer';

/**
 * lock: a lock per coupon serialises issuers (full: redlock on Redis), then the ledger's short
 * transaction issues. The lock saves the database from a thundering herd on one row; it is not
 * what guarantees the stock (the ledger's conditional update and unique key are).
 */
@Injectable()
export class LockCouponIssuer extends CouponIssuer {
  readonly strategy = 'lock' as const;

  constructor(
    private readonly locks: LockManager,
    private readonly ledger: CouponLedger,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {
    super();
  }

  async issue(coupon: Coupon, userId: number): Promise<IssueOutcome> {
    const { lockTtlMs, lockWaitMs } = this.config.coupon;
    try {
      const userCoupon = await this.locks.withLock(`coupon:${coupon.id}`, { ttlMs: lockTtlMs, waitMs: lockWaitMs }, () =>
        this.ledger.issueOne(coupon, userId),
      );
      return { kind: 'issued', userCoupon };
    } catch (error) {
      if (error instanceof LockBusyError) {
        throw new DomainError('COUPON_BUSY', `Coupon ${coupon.id} is busy; retry shortly`, { headers: { 'Retry-After': '1' } });
      }
      if (error instanceof LockUnavailableError) {
        throw new DomainError('LOCK_UNAVAILABLE', 'The lock service is unreachable; nothing was issued', { headers: { 'Retry-After': '5' } });
      }
      throw error;
    }
  }
}
