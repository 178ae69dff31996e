import { count, couponCampaign, describeStatuses, freshUserHeaders, type Scenario, warmUp, timedLoad } from './scenario';

/** A sold-out coupon under load: answered from the hint, without the lock or the database. */
export const couponSoldOut: Scenario = {
  name: 'coupon-sold-out',
  description: 'POST /coupons/{id}/issue on a sold-out coupon (409 COUPON_SOLD_OUT), a new user per request',
  defaultConnections: 100,
  async run(ctx, measure, check) {
    await ctx.keepOnlyApps(['lock']); // no other process's relay or consumers beside it
    const app = await ctx.app('lock', { COUPON_ISSUE_STRATEGY: 'lock' });
    const couponId = await couponCampaign(app, 1, 'Bench sold out');
    await app.expect(201, 'POST', `/coupons/${couponId}/issue`, undefined, ctx.env.users(1)[0].token);
    // The next caller finds it sold out the slow way once; from then on the hint answers.
    await app.expect(409, 'POST', `/coupons/${couponId}/issue`, undefined, ctx.env.users(1)[0].token);
    const request = { method: 'POST' as const, path: `/coupons/${couponId}/issue`, setupRequest: freshUserHeaders(ctx) };
    await warmUp(app, ctx, [request]);
    const load = await timedLoad(app, ctx, [request]);
    measure({ label: 'sold-out rejections', value: load.rps, unit: 'req/s', load, baseline: 'redis-get', target: { minRatio: 0.6 } });
    // The same load against a Redis GET behind the same JWT check: what the refusal costs beyond
    // authenticating a new caller, which every issue request must.
    measure({ label: 'sold-out rejections vs same auth', value: load.rps, unit: 'req/s', load, baseline: 'redis-get-auth' });
    // The same load against the smallest Nest app doing the same work (guard, headers, pipe, hint
    // script, 409 exception), and that app against redis-get: the framework's own floor for this target.
    measure({ label: 'sold-out rejections vs a minimal Nest app', value: load.rps, unit: 'req/s', load, baseline: 'nest-sold-out' });
    measure({
      label: 'minimal Nest sold-out (no app code)',
      value: 0,
      rateOfBaseline: 'nest-sold-out',
      unit: 'req/s',
      baseline: 'redis-get',
    });
    const coupon = await app.expect(200, 'GET', `/coupons/${couponId}`);
    check({
      name: 'every answer 409, still 1 issued',
      ok: count(load, 409) === load.responses && load.errors === 0 && coupon.issuedQuantity === 1,
      detail: `${describeStatuses(load)}; issued ${coupon.issuedQuantity}`,
    });
  },
};
