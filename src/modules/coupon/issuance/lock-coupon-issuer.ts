import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../../platform/config/app-config';
import { InjectAppConfig } from '../../../platform/config/config.module';
import { DomainError } from '../../../platform/errors/domain-error';
import { LockBusyError, LockManager, LockUnavailableError } from '../../../platform/locking/lock-manager';
import { Coupon } from '../entities/coupon.entities';
import { CouponIssueMetrics } from './coupon-issue-metrics';
import { CouponLedger } from './coupon-ledger';
import { CouponIssuer, IssueOutcome } from './coupon-issuer';
import { issueRefusal } from './issue-rules';

/** Callers of one coupon served by one lock hold (and one transaction). */
const MAX_BATCH = 500;

interface Waiter {
  userId: number;
  enqueuedAt: number;
  deadline: number;
  resolve(outcome: IssueOutcome): void;
  reject(error: unknown): void;
}

/** The callers of one coupon waiting on this instance, and whether one of them is taking turns for all. */
interface Line {
  waiting: Waiter[];
  serving: boolean;
}

/**
 * lock: a lock per coupon serialises issuers across instances (full: redlock on Redis). Within an
 * instance, callers of one coupon queue in a line and the line takes the lock for all of them:
 * one lock hold and one short ledger transaction serve every caller that arrived meanwhile.
 * Without this, hundreds of callers poll Redis for one lock and the database sees one row at a
 * time. The lock keeps the database from a thundering herd; it does not guarantee the stock (the
 * ledger's conditional update and unique key do), so a lost lease costs time, never a copy.
 */
@Injectable()
export class LockCouponIssuer extends CouponIssuer {
  readonly strategy = 'lock' as const;
  private readonly lines = new Map<number, Line>();

  constructor(
    private readonly locks: LockManager,
    private readonly ledger: CouponLedger,
    @InjectAppConfig() private readonly config: AppConfig,
    private readonly metrics: CouponIssueMetrics,
  ) {
    super();
  }

  issue(coupon: Coupon, userId: number): Promise<IssueOutcome> {
    const line = this.lines.get(coupon.id) ?? { waiting: [], serving: false };
    this.lines.set(coupon.id, line);
    const { lockWaitMs } = this.config.coupon;
    const enqueuedAt = Date.now();
    let waiter!: Waiter;
    const outcome = new Promise<IssueOutcome>((resolve, reject) => {
      waiter = { userId, enqueuedAt, deadline: enqueuedAt + lockWaitMs, resolve, reject };
    });
    line.waiting.push(waiter);
    // Its deadline holds even when the line gets no turn by then (a lock hold that does not end).
    const timer = setTimeout(() => this.leaveLine(line, waiter, busy(coupon.id, this.config)), lockWaitMs);
    const settled = () => clearTimeout(timer);
    void outcome.then(settled, settled);
    if (!line.serving) void this.serve(coupon, line);
    return outcome;
  }

  private async serve(coupon: Coupon, line: Line): Promise<void> {
    line.serving = true;
    const { lockTtlMs } = this.config.coupon;
    try {
      while (line.waiting.length > 0) {
        // Callers whose wait ran out in line (behind a slow batch) are told so, not served late.
        this.giveUp(line, (w) => w.deadline <= Date.now(), busy(coupon.id, this.config));
        if (line.waiting.length === 0) break;
        const waitMs = Math.max(...line.waiting.map((w) => w.deadline)) - Date.now();
        try {
          await this.locks.withLock(`coupon:${coupon.id}`, { ttlMs: lockTtlMs, waitMs }, async () => {
            // Taken inside the lock: everyone who arrived while it was being acquired is served now.
            const batch = line.waiting.splice(0, MAX_BATCH);
            if (batch.length === 0) return; // every caller's wait ran out meanwhile
            this.recordWaits(batch);
            try {
              const decisions = await this.ledger.issueBatch(
                coupon.id,
                batch.map((w) => w.userId),
              );
              decisions.forEach((decision, i) =>
                'copy' in decision
                  ? batch[i].resolve({ kind: 'issued', userCoupon: decision.copy })
                  : batch[i].reject(issueRefusal(decision.refusal, coupon.id)),
              );
            } catch (error) {
              batch.forEach((w) => w.reject(error));
            }
          });
        } catch (error) {
          if (error instanceof LockBusyError) this.giveUp(line, (w) => w.deadline <= Date.now(), busy(coupon.id, this.config));
          else if (error instanceof LockUnavailableError) this.giveUp(line, () => true, unavailable(error));
          else this.giveUp(line, () => true, error);
        }
      }
    } finally {
      line.serving = false;
      if (line.waiting.length === 0) this.lines.delete(coupon.id);
      else void this.serve(coupon, line);
    }
  }

  /** A caller still in line (not taken into a batch) whose wait ran out. */
  private leaveLine(line: Line, waiter: Waiter, error: unknown): void {
    const index = line.waiting.indexOf(waiter);
    if (index < 0) return;
    line.waiting.splice(index, 1);
    this.recordWaits([waiter]);
    waiter.reject(error);
  }

  private giveUp(line: Line, which: (w: Waiter) => boolean, error: unknown): void {
    const [out, stay] = [line.waiting.filter(which), line.waiting.filter((w) => !which(w))];
    line.waiting = stay;
    this.recordWaits(out);
    out.forEach((w) => w.reject(error));
  }

  private recordWaits(waiters: Waiter[]): void {
    const now = Date.now();
    for (const w of waiters) this.metrics.lockWait.observe((now - w.enqueuedAt) / 1000);
  }
}

function busy(couponId: number, config: AppConfig): DomainError {
  return new DomainError('COUPON_BUSY', `Coupon ${couponId} is busy; retry shortly`, {
    headers: { 'Retry-After': String(config.retryAfter.busySeconds) },
  });
}

/** Its Retry-After is the one of every 503 of an unavailable dependency (RETRY_AFTER_UNAVAILABLE_SECONDS, the problem filter). */
function unavailable(cause: LockUnavailableError): DomainError {
  return new DomainError('LOCK_UNAVAILABLE', 'The lock service is unreachable; nothing was issued', { cause });
}
