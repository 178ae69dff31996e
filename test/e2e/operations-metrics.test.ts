import { ADMIN, Shop } from '../support/commerce-fixtures';
import { callers, createCoupon, runDrop } from '../support/coupon-drop';
import { eventually } from '../support/eventually';
import { metricSample } from '../support/metrics';
import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

const cases = profilesUnderTest().flatMap((profile) => (['lock', 'queue'] as const).map((strategy) => [profile, strategy] as const));

/** What the operations dashboard (ops/grafana) reads from /metrics during a drop. */
describe.each(cases)('metrics for the operations dashboard (%s profile, %s strategy)', (profile, strategy) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    env = await isolatedEnvironment(profile, { ...ADMIN, COUPON_ISSUE_STRATEGY: strategy });
    app = await startApp(env.env);
    shop = await Shop.open(app);
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  const scrape = async (): Promise<string> => (await app.api.get('/metrics')).body as string;

  it('shows stock per coupon in its issue window, the strategy wait, readiness and zeroed consumer series', async () => {
    const now = Date.now();
    const couponId = await createCoupon(shop, 5, {
      issueStartsAt: new Date(now - 60_000).toISOString(),
      issueEndsAt: new Date(now + 600_000).toISOString(),
    });
    const closedId = await createCoupon(shop, 5, {
      issueStartsAt: new Date(now - 120_000).toISOString(),
      issueEndsAt: new Date(now - 60_000).toISOString(),
    });
    const before = await scrape();
    expect(metricSample(before, `coupon_remaining_quantity{coupon="${couponId}"}`)).toBe(5);
    expect(metricSample(before, `consumer_dead_lettered_total{group="coupon-issuer"}`)).toBe(0);

    const drop = await runDrop([app], shop, couponId, await callers(app, 20));
    expect(drop.issued.size).toBe(5);
    await eventually(async () => {
      const text = await scrape();
      expect(metricSample(text, `coupon_issued_total{coupon="${couponId}"}`)).toBe(5);
      expect(metricSample(text, `coupon_remaining_quantity{coupon="${couponId}"}`)).toBe(0);
    }, 10_000);
    const text = await scrape();
    // A counter, so the dashboard's rate() of it is what Prometheus expects.
    expect(text).toContain('# TYPE coupon_issued_total counter');
    // A coupon whose window closed has no series: the label set stays bounded.
    expect(text).not.toContain(`coupon="${closedId}"`);
    if (strategy === 'lock') expect(metricSample(text, 'coupon_lock_wait_seconds_count')).toBeGreaterThanOrEqual(1);
    else expect(metricSample(text, 'coupon_issue_request_age_seconds_count')).toBeGreaterThanOrEqual(5);
    expect(metricSample(text, 'app_dependency_up{dependency="database"}')).toBe(1);
    if (profile === 'full') {
      expect(metricSample(text, 'app_dependency_up{dependency="redis"}')).toBe(1);
      expect(metricSample(text, 'app_dependency_up{dependency="kafka"}')).toBe(1);
    }
    expect(metricSample(text, 'consumer_lag_messages{group="coupon-issuer"}')).toBeGreaterThanOrEqual(0);
  });
});
