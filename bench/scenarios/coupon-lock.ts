import {
  canReadDatabase,
  count,
  inFlightLimit,
  settled,
  couponCampaign,
  describeStatuses,
  fireDrop,
  sellOutMeasurement,
  freshUserHeaders,
  type Scenario,
  warmUp,
  timedLoad,
} from './scenario';

/** Lock strategy on one hot coupon: every request a different user, all contending for one lock. */
export const couponLock: Scenario = {
  name: 'coupon-lock',
  description: 'POST /coupons/{id}/issue, lock strategy, one hot coupon, a new user per request',
  defaultConnections: 500,
  async run(ctx, measure, check) {
    await ctx.keepOnlyApps(['lock']); // no other process's relay or consumers beside it
    const app = await ctx.app('lock', { COUPON_ISSUE_STRATEGY: 'lock' });
    const couponId = await couponCampaign(app, 10_000_000, 'Bench hot coupon');
    const request = { method: 'POST' as const, path: `/coupons/${couponId}/issue`, setupRequest: freshUserHeaders(ctx) };
    const warmup = await warmUp(app, ctx, [request]);
    const load = await timedLoad(app, ctx, [request]);
    ctx.log(`  statuses: ${describeStatuses(load)}`);
    measure({
      label: 'lock issue (201/s)',
      value: count(load, 201) / load.durationS,
      unit: 'issued/s',
      load,
      baseline: 'hot-row',
      target: { minRatio: 0.6 },
      extra: { busy503: count(load, 503) },
    });
    const told = count(load, 201) + (warmup ? count(warmup, 201) : 0);
    const [coupon, stored] = await settled(async () => {
      const current = await app.expect(200, 'GET', `/coupons/${couponId}`);
      return [
        current,
        canReadDatabase()
          ? await ctx.env.count('SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = ?', [couponId])
          : current.issuedQuantity,
      ] as const;
    });
    check({
      name: 'issued counter = stored copies >= 201s seen',
      // A timed run stops with requests in flight: the server finishes them but the bench never reads the answers.
      ok: coupon.issuedQuantity === stored && stored >= told && stored <= told + inFlightLimit(ctx.connections, warmup),
      detail: `issued ${coupon.issuedQuantity}, stored ${stored}, 201s seen ${told}`,
    });
    const unexpected = Object.keys(load.statuses).filter((s) => !['201', '503'].includes(s));
    check({ name: 'only 201 or 503 COUPON_BUSY', ok: unexpected.length === 0 && load.errors === 0, detail: describeStatuses(load) });

    // A real drop: stock N, 3N requests from distinct users at the same concurrency, exactly N issued.
    const fired = await fireDrop(app, ctx, request, 'Bench drop');
    const { stock, couponId: dropId, load: drop } = fired;
    const dropCoupon = await app.expect(200, 'GET', `/coupons/${dropId}`);
    const dropStored = canReadDatabase()
      ? await ctx.env.count('SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = ?', [dropId])
      : count(drop, 201);
    check({
      name: `drop of ${stock}: exactly ${stock} issued`,
      ok:
        count(drop, 201) <= stock &&
        dropCoupon.issuedQuantity === count(drop, 201) &&
        dropStored === count(drop, 201) &&
        (count(drop, 201) === stock || count(drop, 503) > 0),
      detail: `${describeStatuses(drop)}; issued ${dropCoupon.issuedQuantity}, stored ${dropStored}`,
    });
    if (canReadDatabase()) measure(await sellOutMeasurement(ctx, 'lock', fired));
  },
};
