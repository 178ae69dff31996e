import { Metrics } from '../../../platform/observability/metrics';
import type { CouponRepository } from '../database/coupon.repository';
import { CouponIssueMetrics, STOCK_GAUGE_COUPONS } from './coupon-issue-metrics';

describe('coupon stock metrics', () => {
  const scrape = async (rows: Array<{ id: number; totalQuantity: number; issuedQuantity: number }>) => {
    const openForIssue = jest.fn().mockResolvedValue(rows);
    const metrics = new Metrics();
    new CouponIssueMetrics(metrics, { openForIssue } as unknown as CouponRepository);
    return { text: await metrics.registry.metrics(), openForIssue };
  };

  it('exports copies issued as a counter (so rate() applies) and stock left as a gauge, per open coupon', async () => {
    const { text, openForIssue } = await scrape([
      { id: 7, totalQuantity: 100, issuedQuantity: 40 },
      { id: 6, totalQuantity: 5, issuedQuantity: 0 },
    ]);
    expect(text).toContain('# TYPE coupon_issued_total counter');
    expect(text).toContain('coupon_issued_total{coupon="7"} 40\n');
    expect(text).toContain('coupon_issued_total{coupon="6"} 0\n');
    expect(text).toContain('# TYPE coupon_remaining_quantity gauge');
    expect(text).toContain('coupon_remaining_quantity{coupon="7"} 60\n');
    expect(text).toContain('coupon_remaining_quantity{coupon="6"} 5\n');
    // One database read serves both, bounded to the newest open coupons.
    expect(openForIssue).toHaveBeenCalledTimes(1);
    expect(openForIssue).toHaveBeenCalledWith(expect.any(Date), STOCK_GAUGE_COUPONS);
  });

  it('has no coupon series when no coupon is open', async () => {
    const { text } = await scrape([]);
    expect(text).not.toMatch(/^coupon_issued_total\{/m);
    expect(text).not.toMatch(/^coupon_remaining_quantity\{/m);
  });
});
