import { round } from '../lib/load';
import { appsFor, type Topology } from './order-pay';
import {
  count,
  couponCampaign,
  describeStatuses,
  inFlightLimit,
  type Scenario,
  type ScenarioContext,
  freshUserHeaders,
  settled,
  warmUp,
  timedLoad,
} from './scenario';

/**
 * The queue strategy as deployed: requests accepted (202) while the consumer decides them at the
 * same time. `queue-live` runs both in one APP_ROLE=all process; `queue-live-split` accepts on an
 * APP_ROLE=api process while an APP_ROLE=worker process decides.
 */
export const queueLive: Scenario = queueLiveScenario('all');
export const queueLiveSplit: Scenario = queueLiveScenario('split');

function queueLiveScenario(topology: Topology): Scenario {
  const as = topology === 'all' ? ' (one process)' : ' (1 api + 1 worker)';
  return {
    name: topology === 'all' ? 'queue-live' : 'queue-live-split',
    description: `queue strategy: 202 accept rate and p99 while the consumer decides at the same time${as}; then the backlog left`,
    defaultConnections: 100,
    run: async (ctx, measure, check) => {
      const { api, worker } = await appsFor(ctx, topology, 'queue');
      const couponId = await couponCampaign(api, 10_000_000, `Bench live queue ${topology}`);
      const request = { method: 'POST' as const, path: `/coupons/${couponId}/issue`, setupRequest: freshUserHeaders(ctx) };
      const warmup = await warmUp(api, ctx, [request]);
      const decidedBefore = await decided(ctx, couponId);
      const workerCpuBefore = worker?.cpuMs();
      const load = await timedLoad(api, ctx, [request]);
      const decidedDuring = (await decided(ctx, couponId)) - decidedBefore;
      const workerCpuMs = worker?.cpuMs();
      // The app CPU column is the api process's; the decisions ran here.
      if (workerCpuBefore !== undefined && workerCpuMs !== undefined && decidedDuring > 0)
        ctx.log(
          `  worker process CPU per decided request: ${Math.round(((workerCpuMs - workerCpuBefore) / decidedDuring) * 1000) / 1000} ms`,
        );
      measure({
        label: `queue accept with the drain live${as}`,
        value: count(load, 202) / load.durationS,
        unit: 'req/s',
        load,
        baseline: 'kafka-send',
        target: { maxP99Ms: 50 },
      });
      measure({
        label: `queue decisions during the accept load${as}`,
        value: decidedDuring / load.durationS,
        unit: 'decided/s',
        note: 'decided while requests kept arriving: a rate below the accept rate leaves a backlog',
      });
      // The backlog the accept load left: decided after the load ended, and how long that took.
      const accepted = count(load, 202) + (warmup ? count(warmup, 202) : 0);
      const endedAt = Date.now();
      const backlog = accepted - (await decided(ctx, couponId));
      for (const deadline = Date.now() + 60_000; (await decided(ctx, couponId)) < accepted && Date.now() < deadline;)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const drainS = (Date.now() - endedAt) / 1000;
      ctx.log(`  backlog when the load ended: ${Math.max(0, backlog)} undecided, decided within ${round(drainS, 1)} s`);
      // Requests the load generator abandoned at the end are still being accepted and decided: read
      // once two reads agree, so the three counts describe one moment.
      const [requests, issued, stored] = await settled(() =>
        Promise.all([
          ctx.env.count('SELECT COUNT(*) AS n FROM coupon_issue_requests WHERE coupon_id = ?', [couponId]),
          ctx.env.count("SELECT COUNT(*) AS n FROM coupon_issue_requests WHERE coupon_id = ? AND status = 'ISSUED'", [couponId]),
          ctx.env.count('SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = ?', [couponId]),
        ]),
      );
      check({
        name: `every accepted request ISSUED once, with its copy${as}`,
        ok:
          count(load, 202) === load.responses &&
          load.errors === 0 &&
          issued === requests &&
          stored === requests &&
          requests >= accepted &&
          requests <= accepted + inFlightLimit(ctx.connections, warmup),
        detail: `${describeStatuses(load)}; 202s seen ${accepted}, requests ${requests}, issued ${issued}, stored ${stored}`,
      });
    },
  };
}

/** Requests of the coupon with a decision (the consumer writes each request's row with it). */
function decided(ctx: ScenarioContext, couponId: number): Promise<number> {
  return ctx.env.count("SELECT COUNT(*) AS n FROM coupon_issue_requests WHERE coupon_id = ? AND status <> 'PENDING'", [couponId]);
}
