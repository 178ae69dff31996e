// `npm run bench -- --help`: load scenarios against the full profile, with baselines in the same run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { type BaselineResult, measureBaseline } from './baselines/baselines';
import { AppUnderTest } from '../support/app-under-test';
import { localEngines } from '../support/isolated-resources';
import { RunEnvironment } from '../support/run-environment';
import { RESULTS_DIR } from './lib/results-dir';
import { writeBenchCharts } from './lib/bench-charts';
import { offerAtMost, round } from './lib/load';
import { type BenchOptions, parseOptions } from './lib/options';
import { printSummary, type ScenarioReport } from './lib/report';
import { couponLock } from './scenarios/coupon-lock';
import { couponQueue } from './scenarios/coupon-queue';
import { couponSoldOut } from './scenarios/coupon-sold-out';
import { orderPay, orderPaySplit } from './scenarios/order-pay';
import { queueLive, queueLiveSplit } from './scenarios/queue-live';
import { products } from './scenarios/products';
import { framework } from './scenarios/framework';
import { type Check, type Measurement, type Scenario, type ScenarioContext } from './scenarios/scenario';

const SCENARIOS: Scenario[] = [
  couponLock,
  couponSoldOut,
  couponQueue,
  queueLive,
  queueLiveSplit,
  orderPay,
  orderPaySplit,
  products,
  framework,
];
/** The app's DB_POOL_SIZE default; the database baselines use the same pool. */
const APP_POOL_SIZE = Number(process.env.DB_POOL_SIZE ?? 20);

async function main(): Promise<number> {
  const options = parseOptions(
    process.argv.slice(2),
    SCENARIOS.map((s) => s.name),
  );
  offerAtMost(options.rate);
  const env = new RunEnvironment();
  const machine = await describeMachine();
  const pace = options.rate ? `; every timed load offers at most ${options.rate} req/s` : '';
  console.log(
    `bench ${env.runId}: ${options.scenarios.join(', ')}; ${options.durationS}s per phase${options.smoke ? ' (smoke)' : ''}${pace}`,
  );
  console.log(
    `machine: ${machine.cpu} × ${machine.cores}, ${machine.memoryGiB} GiB, Node ${process.version}, ${machine.mysql}, Redis ${machine.redis}`,
  );
  // The apps (spawn) and the baseline servers (fork) run on this same binary, so one run is one Node version.
  console.log(`node: ${process.execPath} for the bench, the apps and the baseline servers`);
  await env.create();
  const apps = new Map<string, Promise<AppUnderTest>>();
  const baselines = new Map<string, Promise<BaselineResult>>();
  const reports: ScenarioReport[] = [];
  try {
    for (const scenario of SCENARIOS.filter((s) => options.scenarios.includes(s.name))) {
      reports.push(await runScenario(scenario, options, env, apps, baselines));
    }
  } finally {
    for (const app of apps.values())
      await app.then(
        (a) => a.stop(),
        () => undefined,
      );
    await env.cleanup().catch((error: Error) => console.error(`cleanup: ${error.message}`));
  }
  const results = {
    runId: env.runId,
    at: new Date().toISOString(),
    machine,
    options,
    baselines: await Promise.all(baselines.values()),
    scenarios: reports,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${results.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  writeFileSync(join(RESULTS_DIR, 'latest.json'), JSON.stringify(results, null, 2));
  printSummary(reports, results.baselines);
  console.log(`\nresults: ${file}`);
  // Smoke runs chart elsewhere, so the charts docs/benchmarks.md embeds stay those of a real run.
  const charts = await writeBenchCharts(results, join(RESULTS_DIR, options.smoke ? 'charts-smoke' : 'charts')).catch((error: Error) => {
    console.error(`charts FAILED: ${error.stack ?? error.message}`);
    return undefined;
  });
  if (charts) console.log(`charts: ${charts.join(', ')}`);
  const failed = reports.filter((r) => r.error || r.checks.some((c) => !c.ok));
  if (failed.length > 0) console.error(`\ncorrectness FAILED in: ${failed.map((r) => r.name).join(', ')}`);
  return failed.length > 0 || !charts ? 1 : 0;
}

async function runScenario(
  scenario: Scenario,
  options: BenchOptions,
  env: RunEnvironment,
  apps: Map<string, Promise<AppUnderTest>>,
  baselines: Map<string, Promise<BaselineResult>>,
): Promise<ScenarioReport> {
  const connections = options.connections ?? (options.smoke ? Math.min(scenario.defaultConnections, 50) : scenario.defaultConnections);
  const report: ScenarioReport = { name: scenario.name, description: scenario.description, connections, measurements: [], checks: [] };
  console.log(`\n▶ ${scenario.name} (${connections} connections): ${scenario.description}`);
  const ctx: ScenarioContext = {
    env,
    options,
    connections,
    app: (name, extraEnv = {}) => {
      if (!apps.has(name))
        apps.set(
          name,
          AppUnderTest.start(name, env.appEnv(extraEnv), {
            logDir: RESULTS_DIR,
            cpuProfileDir: options.profile ? join(RESULTS_DIR, 'profiles') : undefined,
          }),
        );
      return apps.get(name)!;
    },
    stopApp: async (name) => {
      const app = apps.get(name);
      apps.delete(name);
      await app?.then(
        (a) => a.stop(),
        () => undefined, // it never started: its scenario reported that
      );
    },
    keepOnlyApps: async (names) => {
      for (const name of [...apps.keys()].filter((running) => !names.includes(running))) await ctx.stopApp(name);
    },
    baseline: (name) => {
      const key = `${name}@${connections}`;
      if (!baselines.has(key)) {
        console.log(`  baseline ${name} at ${connections} connections…`);
        baselines.set(
          key,
          measureBaseline(name, {
            env,
            connections,
            durationS: options.durationS,
            warmupS: options.warmupS,
            poolSize: APP_POOL_SIZE,
            profile: options.profile,
          }),
        );
      }
      return baselines.get(key)!;
    },
    log: (message) => console.log(message),
  };
  const measurements: Measurement[] = [];
  const started = Date.now();
  try {
    await scenario.run(
      ctx,
      (m) => measurements.push(m),
      (c: Check) => {
        report.checks.push(c);
        console.log(`  ${c.ok ? '✓' : '✗'} ${c.name}${c.detail ? ` (${c.detail})` : ''}`);
      },
    );
  } catch (error) {
    report.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`  ✗ ${scenario.name} failed: ${report.error}`);
  }
  // Baselines after the scenario, so the app processes are idle while they run.
  for (const m of measurements) {
    const value = m.rateOfBaseline ? (await ctx.baseline(m.rateOfBaseline)).rate : m.value;
    const baseline = m.baseline ? await ctx.baseline(m.baseline) : undefined;
    const baselineRate = baseline?.rate ?? m.versus?.rate;
    const ratio = baselineRate ? round(value / baselineRate, 3) : undefined;
    // A paced load (--rate) says nothing of capacity: its ratios are printed, its targets not judged.
    const meetsTarget = options.rate === undefined && m.notTimed === undefined ? meets(m, ratio) : undefined;
    report.measurements.push({ ...m, value: round(value), baselineRate, ratio, meetsTarget });
  }
  report.seconds = round((Date.now() - started) / 1000, 1);
  return report;
}

function meets(m: Measurement, ratio: number | undefined): boolean | undefined {
  if (!m.target) return undefined;
  const p99 = m.load?.latencyMs.p99 ?? m.latencyMs?.p99;
  if (m.target.minRatio !== undefined && (ratio === undefined || ratio < m.target.minRatio)) return false;
  if (m.target.minValue !== undefined && m.value < m.target.minValue) return false;
  if (m.target.maxP99Ms !== undefined && (p99 === undefined || p99 > m.target.maxP99Ms)) return false;
  return true;
}

async function describeMachine() {
  const { createConnection } = await import('mysql2/promise');
  const mysql = await createConnection(localEngines.db).then(
    async (c) => {
      const [[row]] = (await c.query('SELECT VERSION() AS v')) as any;
      await c.end();
      return `MySQL/MariaDB ${row.v}`;
    },
    (error: Error) => `MySQL unreachable (${error.message})`,
  );
  const redis = new Redis(localEngines.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const redisVersion = await redis.connect().then(
    async () => /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?',
    () => 'unreachable',
  );
  redis.disconnect();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    mysql,
    redis: redisVersion,
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
