import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Metrics } from '../../../platform/observability/metrics';
import { CouponRepository } from '../database/coupon.repository';
import { Coupon } from '../entities/coupon.entities';

/** Coupons with a `coupon` label at most: the newest ones in their issue window (bounded cardinality). */
export const STOCK_GAUGE_COUPONS = 20;
/** The issued counter and the remaining gauge come from one read per scrape. */
const SNAPSHOT_MAX_AGE_MS = 1_000;

type StockRow = Pick<Coupon, 'id' | 'totalQuantity' | 'issuedQuantity'>;

@Injectable()
export class CouponIssueMetrics {
  readonly outcomes: Counter<'strategy' | 'outcome'>;
  /** lock: how long a caller waited in its coupon's line until its batch was taken, or it was turned away. */
  readonly lockWait: Histogram;
  /** queue: from the 202 to the consumer's committed decision. */
  readonly requestAge: Histogram;
  private snapshot?: { at: number; rows: Promise<StockRow[]> };

  constructor(
    metrics: Metrics,
    private readonly coupons: CouponRepository,
  ) {
    const registers = [metrics.registry];
    this.outcomes = new Counter({
      name: 'coupon_issue_outcomes_total',
      help: 'Answers to POST /coupons/{id}/issue by strategy: ISSUED, QUEUED or the rejection code',
      labelNames: ['strategy', 'outcome'],
      registers,
    });
    this.lockWait = new Histogram({
      name: 'coupon_lock_wait_seconds',
      help: 'lock strategy: time a caller waited in line for the coupon lock',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    });
    this.requestAge = new Histogram({
      name: 'coupon_issue_request_age_seconds',
      help: 'queue strategy: age of an issue request when the consumer decided it',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    // Read at scrape time from the database, so every instance reports the same shared numbers.
    const activeCoupons = () => this.activeCoupons();
    // `issued_quantity` only ever grows (issuing is the one write after creation), so it is exported
    // as a counter: `rate()`/`increase()` on it are exact, and Prometheus treats it as one.
    new Counter({
      name: 'coupon_issued_total',
      help: `Copies issued so far, for the ${STOCK_GAUGE_COUPONS} newest coupons in their issue window (read from the database)`,
      labelNames: ['coupon'],
      registers,
      async collect(this: Counter<'coupon'>) {
        const rows = await activeCoupons();
        this.reset(); // a coupon whose window closed loses its series
        for (const row of rows) this.inc({ coupon: String(row.id) }, row.issuedQuantity);
      },
    });
    new Gauge({
      name: 'coupon_remaining_quantity',
      help: `Stock left, for the ${STOCK_GAUGE_COUPONS} newest coupons in their issue window`,
      labelNames: ['coupon'],
      registers,
      async collect(this: Gauge<'coupon'>) {
        const rows = await activeCoupons();
        this.reset();
        for (const row of rows) this.set({ coupon: String(row.id) }, row.totalQuantity - row.issuedQuantity);
      },
    });
  }

  private activeCoupons(): Promise<StockRow[]> {
    const now = Date.now();
    if (!this.snapshot || now - this.snapshot.at > SNAPSHOT_MAX_AGE_MS) {
      const rows = this.coupons.openForIssue(new Date(now), STOCK_GAUGE_COUPONS);
      this.snapshot = { at: now, rows };
      // A failed read is retried at the next scrape, not cached.
      rows.catch(() => (this.snapshot = undefined));
    }
    return this.snapshot.rows;
  }
}
