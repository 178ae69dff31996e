import { AppUnderTest } from '../../support/app-under-test';
import { round } from '../lib/load';
import {
  count,
  couponCampaign,
  inFlightLimit,
  describeStatuses,
  fireDrop,
  sellOutMeasurement,
  freshUserHeaders,
  type Scenario,
  warmUp,
  timedLoad,
} from './scenario';

/** A drain of fewer batches, or shorter, is not timed: its rate would be one batch's noise, or a division by almost 0. */
const MIN_DRAIN_BATCHES = 3;
const MIN_DRAIN_S = 0.1;

/**
 * Queue strategy in two phases, so each rate is measured on its own:
 * accept: an APP_ROLE=api process answers 202 once Kafka acked, and nothing decides meanwhile;
 * drain: an APP_ROLE=all process starts with that backlog and decides it (issued/s from decided_at);
 * it then runs a whole drop (accepting and deciding). `queue-live` measures both at once.
 */
export const couponQueue: Scenario = {
  name: 'coupon-queue',
  description: 'queue strategy: 202 accept rate on an API-only instance, then the drain rate of the backlog by a worker',
  defaultConnections: 100,
  async run(ctx, measure, check) {
    // Every all or worker process runs the issue-request consumer: one left running by an earlier
    // scenario would decide the backlog during the accept phase.
    await ctx.keepOnlyApps(['queue-api']);
    const api = await ctx.app('queue-api', { COUPON_ISSUE_STRATEGY: 'queue', APP_ROLE: 'api' });
    const couponId = await couponCampaign(api, 10_000_000, 'Bench queued coupon');
    const request = { method: 'POST' as const, path: `/coupons/${couponId}/issue`, setupRequest: freshUserHeaders(ctx) };
    const warmup = await warmUp(api, ctx, [request]);
    const load = await timedLoad(api, ctx, [request]);
    measure({
      label: 'queue accept (202/s)',
      value: count(load, 202) / load.durationS,
      unit: 'req/s',
      load,
      baseline: 'kafka-send',
      target: { minRatio: 0.5, maxP99Ms: 50 },
    });
    // The same send made as the app makes it (combined while one is in flight): the rate and p99 of
    // a bare server publishing the app's way, beside the target's one-send-per-request baseline.
    measure({
      label: 'queue accept vs the coalescing send',
      value: count(load, 202) / load.durationS,
      unit: 'req/s',
      load,
      baseline: 'kafka-send-coalesced',
    });
    // The smallest Nest app doing the accept's whole work (guard, headers, pipe, hint, signed id,
    // coalesced send, 202): the floor for a Nest controller, its p99 in its summary row.
    measure({
      label: 'queue accept vs a minimal Nest app',
      value: count(load, 202) / load.durationS,
      unit: 'req/s',
      load,
      baseline: 'nest-queue-accept',
    });
    measure({
      label: 'minimal Nest accept (no app code)',
      value: 0,
      rateOfBaseline: 'nest-queue-accept',
      unit: 'req/s',
      baseline: 'kafka-send',
    });
    check({
      name: 'accept: every answer 202',
      ok: count(load, 202) === load.responses && load.errors === 0,
      detail: describeStatuses(load),
    });
    if (AppUnderTest.external) {
      ctx.log('  BENCH_URL: the drain phase needs its own worker instance and database access; skipped');
      return;
    }
    const accepted = count(load, 202) + (warmup ? count(warmup, 202) : 0);
    await ctx.stopApp('queue-api');

    // APP_ROLE=all: the drop below is sent to it too.
    const worker = await ctx.app('queue-worker', { COUPON_ISSUE_STRATEGY: 'queue' });
    // The consumer writes each request's row with its decision: drained once every 202 has one and no more come.
    const recorded = () => ctx.env.count('SELECT COUNT(*) AS n FROM coupon_issue_requests WHERE coupon_id = ?', [couponId]);
    let last = -1;
    let stalledSince = Date.now();
    for (;;) {
      const done = await recorded();
      if (done !== last) [last, stalledSince] = [done, Date.now()];
      else if (done >= accepted && Date.now() - stalledSince > 1_000) break;
      if (Date.now() - stalledSince > 30_000) break;
      ctx.log(`  draining: ${Math.max(0, accepted - done)} of ${accepted} undecided`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Each batch's decisions share one decided_at, taken before they are made: between the first
    // stamp and the last, every batch but the last was decided, so those are the ones timed.
    const [[span]] = (await ctx.env.db().query(
      `SELECT COUNT(*) AS decided, SUM(r.status = 'ISSUED') AS issued, COUNT(DISTINCT r.decided_at) AS batches,
              SUM(r.status = 'ISSUED' AND r.decided_at < last.at) AS timedIssued,
              TIMESTAMPDIFF(MICROSECOND, MIN(r.decided_at), MAX(r.decided_at)) / 1e6 AS seconds
         FROM coupon_issue_requests r
         JOIN (SELECT MAX(decided_at) AS at FROM coupon_issue_requests WHERE coupon_id = ? AND status <> 'PENDING') last
        WHERE r.coupon_id = ? AND r.status <> 'PENDING'`,
      [couponId, couponId],
    )) as any;
    const seconds = Number(span.seconds ?? 0);
    const batches = Number(span.batches);
    const decided = Number(span.decided);
    const notTimed =
      batches < MIN_DRAIN_BATCHES
        ? `${decided} decided in ${batches === 1 ? 'one batch' : `${batches} batches`}, fewer than the ${MIN_DRAIN_BATCHES} a drain is timed over`
        : seconds < MIN_DRAIN_S
          ? `${batches} batches decided within ${round(seconds * 1000, 1)} ms, under the ${MIN_DRAIN_S * 1000} ms a drain is timed over`
          : undefined;
    ctx.log(`  drained: ${decided} decided in ${batches} batch(es), ${round(seconds, 3)} s from the first to the last`);
    measure({
      label: 'queue drain (issued/s)',
      value: notTimed === undefined ? Number(span.timedIssued) / seconds : 0,
      notTimed,
      unit: 'issued/s',
      target: { minValue: 10_000 },
      extra: { backlog: accepted, decided, batches, seconds: round(seconds, 3) },
    });
    const coupon = await worker.expect(200, 'GET', `/coupons/${couponId}`);
    const stored = await ctx.env.count('SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = ?', [couponId]);
    const requests = await ctx.env.count('SELECT COUNT(*) AS n FROM coupon_issue_requests WHERE coupon_id = ?', [couponId]);
    check({
      name: 'drain: every request ISSUED once, each with its copy',
      // Requests in flight when the timed run stopped were accepted too, unseen by the bench.
      ok:
        Number(span.issued) === requests &&
        coupon.issuedQuantity === requests &&
        stored === requests &&
        requests >= accepted &&
        requests <= accepted + inFlightLimit(ctx.connections, warmup),
      detail: `202s seen ${accepted}, requests ${requests}, issued ${span.issued}, counter ${coupon.issuedQuantity}, stored ${stored}`,
    });

    // A real drop on the worker (accepting and deciding): stock N, 3N distinct users, exactly N issued.
    const fired = await fireDrop(worker, ctx, request, 'Bench queued drop');
    const { stock, couponId: dropId, load: drop } = fired;
    const dropRecorded = () => ctx.env.count('SELECT COUNT(*) AS n FROM coupon_issue_requests WHERE coupon_id = ?', [dropId]);
    for (const deadline = Date.now() + 30_000; (await dropRecorded()) < count(drop, 202) && Date.now() < deadline;)
      await new Promise((resolve) => setTimeout(resolve, 200));
    const dropCoupon = await worker.expect(200, 'GET', `/coupons/${dropId}`);
    const dropStored = await ctx.env.count('SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = ?', [dropId]);
    check({
      name: `queued drop of ${stock}: exactly ${stock} issued`,
      // 202 for the first callers; 409 SOLD_OUT from the hint once the consumer marked it sold out.
      ok:
        dropCoupon.issuedQuantity === stock &&
        dropStored === stock &&
        count(drop, 202) + count(drop, 409) === drop.responses &&
        drop.errors === 0,
      detail: `${describeStatuses(drop)}; issued ${dropCoupon.issuedQuantity}, stored ${dropStored}`,
    });
    measure(await sellOutMeasurement(ctx, 'queue', fired));
  },
};
