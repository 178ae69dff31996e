import { round } from '../lib/load';
import { count, describeStatuses, type Scenario, warmedLoad } from './scenario';

/**
 * The app's own per-request work on a route without I/O: `GET /health/live` against the smallest
 * NestJS app (framework-only ratio), and against that app answering with the app's security headers
 * and request id, at LOG_LEVEL=warn as every other scenario and once more at info (the default). Probes are not access-logged, so the price of one access line is measured
 * on a logged route, `GET /products/{id}`: app CPU per request at info minus at warn.
 */
export const framework: Scenario = {
  name: 'framework',
  description: 'GET /health/live at warn and info vs a NestJS hello; one access line = CPU/req of GET /products/{id} at info - at warn',
  defaultConnections: 100,
  async run(ctx, measure, check) {
    await ctx.keepOnlyApps(['lock']); // no other process's relay or consumers beside it
    const warnApp = await ctx.app('lock', { COUPON_ISSUE_STRATEGY: 'lock' });
    const product = await warnApp.expect(201, 'POST', '/admin/products', {
      name: 'Logged item',
      price: 1_000,
      stock: 1_000,
      category: 'bench-framework',
    });
    const live = { method: 'GET' as const, path: '/health/live' };
    const detail = { method: 'GET' as const, path: `/products/${product.id}` };

    const liveWarn = await warmedLoad(warnApp, ctx, [live]);
    measure({
      label: '/health/live (warn)',
      value: liveWarn.rps,
      unit: 'req/s',
      load: liveWarn,
      baseline: 'nest-hello',
      target: { minRatio: 0.8 },
    });
    // The same load against a hello whose answers carry the app's headers: what the app costs
    // beyond writing those headers (Node validates and serialises each one on every answer).
    measure({
      label: '/health/live (warn) vs same headers',
      value: liveWarn.rps,
      unit: 'req/s',
      load: liveWarn,
      baseline: 'nest-hello-headers',
    });
    const detailWarn = await warmedLoad(warnApp, ctx, [detail]);
    await ctx.stopApp('lock');

    const infoApp = await ctx.app('info', { COUPON_ISSUE_STRATEGY: 'lock', LOG_LEVEL: 'info' });
    const liveInfo = await warmedLoad(infoApp, ctx, [live]);
    measure({ label: '/health/live (info)', value: liveInfo.rps, unit: 'req/s', load: liveInfo, baseline: 'nest-hello' });
    const detailInfo = await warmedLoad(infoApp, ctx, [detail]);
    await ctx.stopApp('info');

    const lineCpuMs =
      detailInfo.appCpuMsPerResponse !== undefined && detailWarn.appCpuMsPerResponse !== undefined
        ? round(detailInfo.appCpuMsPerResponse - detailWarn.appCpuMsPerResponse, 3)
        : undefined;
    measure({
      label: 'product detail (info, access-logged)',
      value: detailInfo.rps,
      unit: 'req/s',
      load: detailInfo,
      baseline: 'mysql-by-id',
      note:
        lineCpuMs === undefined
          ? undefined
          : `one access line: ${lineCpuMs} ms of app CPU (product detail ${detailWarn.appCpuMsPerResponse} ms/req at warn, ${detailInfo.appCpuMsPerResponse} at info; ${detailWarn.rps} vs ${detailInfo.rps} req/s)`,
      extra: { accessLineCpuMs: lineCpuMs, detailWarn: { rps: detailWarn.rps, cpuMs: detailWarn.appCpuMsPerResponse } },
    });
    for (const [label, result, status] of [
      ['/health/live at warn', liveWarn, 200],
      ['/health/live at info', liveInfo, 200],
      ['product detail at warn', detailWarn, 200],
      ['product detail at info', detailInfo, 200],
    ] as const) {
      check({
        name: `${label}: every answer ${status}`,
        ok: count(result, status) === result.responses && result.errors === 0,
        detail: describeStatuses(result),
      });
    }
  },
};
