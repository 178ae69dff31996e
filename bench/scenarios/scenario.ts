import { type BaselineResult } from '../baselines/baselines';
import { AppUnderTest } from '../../support/app-under-test';
import { type RunEnvironment } from '../../support/run-environment';
import { type LoadOptions, type LoadResult, runLoad } from '../lib/load';
import { type BenchOptions } from '../lib/options';

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

/** What the target table asks of a measurement, in the same run as its baseline. */
export interface Target {
  /** measurement value / baseline rate must reach this. */
  minRatio?: number;
  /** absolute floor for the measurement value. */
  minValue?: number;
  maxP99Ms?: number;
}

export interface Measurement {
  label: string;
  value: number;
  unit: string;
  load?: LoadResult;
  /** p50/p95/p99 when the latency is not an HTTP one (e.g. outbox commit to consumption). */
  latencyMs?: LoadResult['latencyMs'];
  baseline?: BaselineResult['name'];
  /** In place of a baseline: a rate measured in this scenario on the same app (its own /health/live), which the ratio and target are judged against. */
  versus?: { label: string; rate: number };
  /** The value is this baseline's rate, measured after the scenario like every baseline (`value` is then ignored). */
  rateOfBaseline?: BaselineResult['name'];
  target?: Target;
  /** Why the value could not be measured (too short, too few samples): reported as not timed, never judged against its target. */
  notTimed?: string;
  /** One line printed under the summary (what a number means, a derived cost). */
  note?: string;
  extra?: Record<string, unknown>;
}

export interface ScenarioContext {
  env: RunEnvironment;
  options: BenchOptions;
  /** Connections for this scenario (its default, or --connections). */
  connections: number;
  /** Starts (or reuses) the app process named `name`; the runner stops it at the end. */
  app(name: string, extraEnv?: Record<string, string>): Promise<AppUnderTest>;
  stopApp(name: string): Promise<void>;
  /** Stops every app process but these: another process's relay or consumers would share the work measured. */
  keepOnlyApps(names: string[]): Promise<void>;
  /** A baseline measured in this run at this scenario's connections (cached per connections). */
  baseline(name: BaselineResult['name']): Promise<BaselineResult>;
  log(message: string): void;
}

export interface Scenario {
  name: string;
  description: string;
  defaultConnections: number;
  run(ctx: ScenarioContext, measure: (m: Measurement) => void, check: (c: Check) => void): Promise<void>;
}

/** A fresh-user Authorization header per request: every caller is a different user. */
export function freshUserHeaders(ctx: ScenarioContext): (request: any) => any {
  // Signed before the load, not per request: signing a JWT in the load generator's process took
  // CPU from autocannon on this 2-core machine, and the app then waited for requests (the sold-out
  // profile showed it half idle). Enough for 4,000 req/s through warm-up and run; beyond, on the fly.
  const tokens = ctx.env.users(Math.min(Math.ceil((ctx.options.warmupS + ctx.options.durationS) * 4_000), 100_000)).map((u) => u.token);
  let next = 0;
  return (request) => {
    const token = next < tokens.length ? tokens[next++] : ctx.env.users(1)[0].token;
    return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
  };
}

export function count(load: LoadResult, status: number): number {
  return load.statuses[String(status)] ?? 0;
}

export function describeStatuses(load: LoadResult): string {
  return Object.entries(load.statuses)
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');
}

export async function couponCampaign(app: AppUnderTest, totalQuantity: number, name = 'Bench coupon'): Promise<number> {
  const coupon = await app.expect(201, 'POST', '/admin/coupons', {
    name,
    discountType: 'FIXED',
    discountValue: 1_000,
    totalQuantity,
    minOrderAmount: 0,
    validDays: 7,
  });
  return coupon.id;
}

/** Against BENCH_URL the bench cannot read the app's database; checks then rely on the API alone. */
export function canReadDatabase(): boolean {
  return !AppUnderTest.external;
}

/** How many requests a timed run may leave unanswered: one per connection, per load phase. */
export function inFlightLimit(connections: number, ...extraPhases: unknown[]): number {
  return connections * (1 + extraPhases.filter(Boolean).length);
}

/**
 * Reads `probe` until two reads 500 ms apart agree: requests the load generator abandoned at the
 * end of a timed run are still finishing on the server, and checks must see their effects.
 */
export async function settled<T>(probe: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let previous = JSON.stringify(await probe());
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const value = await probe();
    const current = JSON.stringify(value);
    if (current === previous || Date.now() > deadline) return value;
    previous = current;
  }
}

/**
 * Copies of a coupon issued over time, from the stored copies' `issued_at` (the app's clock, same
 * machine): [seconds since `startedAt`, cumulative count]. For the drop charts.
 */
export async function issuedTimeline(ctx: ScenarioContext, couponId: number, startedAt: number): Promise<Array<[number, number]>> {
  const [rows] = (await ctx.env
    .db()
    .query('SELECT issued_at AS at FROM user_coupons WHERE coupon_id = ? ORDER BY issued_at, id', [couponId])) as any;
  return [
    [0, 0],
    ...(rows as Array<{ at: Date }>).map((row, i): [number, number] => [Math.max(0, (row.at.getTime() - startedAt) / 1000), i + 1]),
  ];
}

/** The scenario's warm-up of `requests` (none with `--warmup 0`): its connections, not measured. */
export async function warmUp(app: AppUnderTest, ctx: ScenarioContext, requests: LoadOptions['requests']): Promise<LoadResult | undefined> {
  return ctx.options.warmupS > 0 ? runLoad(app, { durationS: ctx.options.warmupS, connections: ctx.connections, requests }) : undefined;
}

/** The scenario's timed load of `requests`, at its connections for `--duration`. */
export function timedLoad(app: AppUnderTest, ctx: ScenarioContext, requests: LoadOptions['requests']): Promise<LoadResult> {
  return runLoad(app, { durationS: ctx.options.durationS, connections: ctx.connections, requests });
}

/** The warm-up, then the timed load. */
export async function warmedLoad(app: AppUnderTest, ctx: ScenarioContext, requests: LoadOptions['requests']): Promise<LoadResult> {
  await warmUp(app, ctx, requests);
  return timedLoad(app, ctx, requests);
}

/**
 * A real drop: a coupon of stock N (50 in a smoke run), then 3N issue requests of `request` (a new
 * user each) at the scenario's concurrency, all at once. The scenario checks what it expects of the answers.
 */
export async function fireDrop(
  app: AppUnderTest,
  ctx: ScenarioContext,
  request: { method: 'POST'; setupRequest: (request: any) => any },
  name: string,
) {
  const stock = ctx.options.smoke ? 50 : 1_000;
  const couponId = await couponCampaign(app, stock, name);
  const startedAt = Date.now();
  const load = await runLoad(app, {
    durationS: 0,
    amount: stock * 3,
    connections: ctx.connections,
    requests: [{ ...request, path: `/coupons/${couponId}/issue` }],
  });
  return { stock, couponId, startedAt, load };
}

/** A drop's time to sell out, with its issued-over-time curve for the charts. */
export async function sellOutMeasurement(
  ctx: ScenarioContext,
  strategy: 'lock' | 'queue',
  drop: Awaited<ReturnType<typeof fireDrop>>,
): Promise<Measurement> {
  const timeline = await issuedTimeline(ctx, drop.couponId, drop.startedAt);
  return {
    label: `${strategy} drop of ${drop.stock}: time to sell out`,
    value: timeline.at(-1)![0],
    unit: 's',
    extra: { strategy, stock: drop.stock, requests: drop.stock * 3, issuedOverTime: timeline },
  };
}
