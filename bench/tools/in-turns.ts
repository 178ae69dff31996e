// A target's scenario and its floor in turns: app, floor, app, floor… on the same engines, each with
// its own warm-up. `npm run bench` measures every baseline once, after all scenarios (and in
// coupon-queue the drain and a drop come between the accept and its floor), so a drift of the machine
// between the two reads as a gap between them; taking turns shows how far apart they are under the
// same conditions, and how much each moves.
//   --pair accept: the queue accept (an API-only instance, a new user's token per request) and nest-queue-accept
//   --pair live:   GET /health/live at LOG_LEVEL=warn and nest-hello (the framework target)
//   --pair live-headers: the same and nest-hello-headers (the hello writing the app's headers)
//   node -r ts-node/register/transpile-only bench/tools/in-turns.ts --pair accept|live|live-headers [--rounds N] [--duration S]
// (needs `npm run build` and the engines of `npm run bench`; talks to 127.0.0.1 only and stops by itself).
import { parseArgs } from 'node:util';
import { type BaselineName, measureBaseline } from '../baselines/baselines';
import { RESULTS_DIR } from '../lib/results-dir';
import { AppUnderTest } from '../../support/app-under-test';
import { RunEnvironment } from '../../support/run-environment';
import { round, runLoad } from '../lib/load';
import { couponCampaign } from '../scenarios/scenario';

const CONNECTIONS = 100;
const WARMUP_S = 3;

interface Turn {
  rate: number;
  p50: number;
  p99: number;
  cpuMsPerReq?: number;
}

interface Pair {
  floor: BaselineName;
  appEnv: Record<string, string>;
  /** Seeds what the load needs on a started app and returns the request (status 200 or 202 expected). */
  prepare(app: AppUnderTest, env: RunEnvironment, durationS: number): Promise<{ request: LoadRequest; status: number }>;
}

type LoadRequest = NonNullable<Parameters<typeof runLoad>[1]['requests']>[number];

const PAIRS: Record<string, Pair> = {
  accept: {
    floor: 'nest-queue-accept',
    // As the bench's coupon-queue scenario: an API-only instance, a new user's token per request.
    appEnv: { COUPON_ISSUE_STRATEGY: 'queue', APP_ROLE: 'api' },
    async prepare(app, env, durationS) {
      const couponId = await couponCampaign(app, 10_000_000, 'In turns');
      const tokens = env.users(Math.ceil((WARMUP_S + durationS) * 8_000)).map((user) => user.token);
      let next = 0;
      const request: LoadRequest = {
        method: 'POST',
        path: `/coupons/${couponId}/issue`,
        setupRequest: (req: any) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
      };
      return { request, status: 202 };
    },
  },
  live: {
    floor: 'nest-hello',
    // As the bench's framework scenario at warn.
    appEnv: { COUPON_ISSUE_STRATEGY: 'lock' },
    prepare: () => Promise.resolve({ request: { method: 'GET', path: '/health/live' }, status: 200 }),
  },
};
// The same against the hello that writes the app's security headers and request id too.
PAIRS['live-headers'] = { ...PAIRS.live, floor: 'nest-hello-headers' };

async function appTurn(pair: Pair, env: RunEnvironment, name: string, durationS: number): Promise<Turn & { loopLagP99Ms?: number }> {
  const app = await AppUnderTest.start(name, env.appEnv(pair.appEnv), { logDir: RESULTS_DIR });
  try {
    const { request, status } = await pair.prepare(app, env, durationS);
    await runLoad(app, { durationS: WARMUP_S, connections: CONNECTIONS, requests: [request] });
    await app.eventLoopDelayMs(); // resets the app's histogram: the next read covers the load only
    const load = await runLoad(app, { durationS, connections: CONNECTIONS, requests: [request] });
    const lag = await app.eventLoopDelayMs();
    if (load.statuses[String(status)] !== load.responses || load.errors > 0)
      throw new Error(`app answered ${JSON.stringify(load.statuses)}`);
    return {
      rate: load.rps,
      p50: load.latencyMs.p50,
      p99: load.latencyMs.p99,
      cpuMsPerReq: load.appCpuMsPerResponse,
      loopLagP99Ms: lag?.p99,
    };
  } finally {
    await app.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { pair: { type: 'string' }, rounds: { type: 'string', default: '4' }, duration: { type: 'string', default: '10' } },
  });
  const pair = PAIRS[values.pair ?? ''];
  if (!pair) throw new Error(`--pair must be one of ${Object.keys(PAIRS).join(', ')}`);
  const rounds = Number(values.rounds);
  const durationS = Number(values.duration);
  if (!(rounds > 0 && durationS > 0)) throw new Error('--rounds and --duration must be positive numbers');
  const env = new RunEnvironment();
  await env.create();
  console.log(
    `${values.pair} and ${pair.floor} in turns: ${rounds} rounds of ${durationS} s at ${CONNECTIONS} connections, Node ${process.version}`,
  );
  try {
    for (let i = 1; i <= rounds; i++) {
      const app = await appTurn(pair, env, `in-turns-${values.pair}-${i}`, durationS);
      const floor = await measureBaseline(pair.floor, {
        env,
        connections: CONNECTIONS,
        durationS,
        warmupS: WARMUP_S,
        poolSize: 20,
        profile: false,
      });
      if (!floor.checks.every((c) => c.ok)) throw new Error(`floor failed its checks: ${JSON.stringify(floor.checks)}`);
      const cpuGap = app.cpuMsPerReq !== undefined && floor.cpuMsPerOp !== undefined ? round(app.cpuMsPerReq - floor.cpuMsPerOp, 3) : '?';
      console.log(
        `round ${i}: app ${app.rate} req/s p50 ${app.p50} p99 ${app.p99} ms, ${app.cpuMsPerReq} CPU ms/req, loop lag p99 ${app.loopLagP99Ms} ms | ` +
          `floor ${floor.rate} req/s p50 ${floor.latencyMs.p50} p99 ${floor.latencyMs.p99} ms, ${floor.cpuMsPerOp} CPU ms/req | ` +
          `app at ${round((100 * app.rate) / floor.rate, 1)}% of the floor's rate, +${cpuGap} CPU ms/req`,
      );
    }
  } finally {
    await env.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
