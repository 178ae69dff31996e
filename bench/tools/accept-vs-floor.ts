// The queue accept against its floor (the nest-queue-accept baseline), in turns: app, floor, app,
// floor… on the same engines, each with its own warm-up. `npm run bench` measures every baseline
// once, after all scenarios, so a drift of the machine between the two reads as a gap between them;
// taking turns shows how far apart they are under the same conditions, and how much each moves.
//   node -r ts-node/register/transpile-only bench/tools/accept-vs-floor.ts [--rounds N] [--duration S]
// (needs `npm run build` and the engines of `npm run bench`; talks to 127.0.0.1 only and stops by itself).
import { parseArgs } from 'node:util';
import { measureBaseline } from '../baselines/baselines';
import { AppUnderTest } from '../lib/app-under-test';
import { BenchEnvironment } from '../lib/bench-env';
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

async function appTurn(env: BenchEnvironment, name: string, durationS: number): Promise<Turn & { loopLagP99Ms?: number }> {
  // As the bench's coupon-queue scenario: an API-only instance, a new user's token per request.
  const app = await AppUnderTest.start(name, env.appEnv({ COUPON_ISSUE_STRATEGY: 'queue', COUPON_ISSUE_CONSUMER_ENABLED: 'false' }), {
    profile: false,
  });
  try {
    const couponId = await couponCampaign(app, 10_000_000, 'Accept vs floor');
    const tokens = env.users(Math.ceil((WARMUP_S + durationS) * 8_000)).map((user) => user.token);
    let next = 0;
    const request = {
      method: 'POST' as const,
      path: `/coupons/${couponId}/issue`,
      setupRequest: (req: any) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
    };
    await runLoad(app, { durationS: WARMUP_S, connections: CONNECTIONS, requests: [request] });
    await app.eventLoopDelayMs(); // resets the app's histogram: the next read covers the load only
    const load = await runLoad(app, { durationS, connections: CONNECTIONS, requests: [request] });
    const lag = await app.eventLoopDelayMs();
    if (load.statuses['202'] !== load.responses || load.errors > 0) throw new Error(`app answered ${JSON.stringify(load.statuses)}`);
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
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '4' }, duration: { type: 'string', default: '10' } } });
  const rounds = Number(values.rounds);
  const durationS = Number(values.duration);
  if (!(rounds > 0 && durationS > 0)) throw new Error('--rounds and --duration must be positive numbers');
  const env = new BenchEnvironment();
  await env.create();
  console.log(`accept vs floor: ${rounds} rounds of ${durationS} s at ${CONNECTIONS} connections, Node ${process.version}`);
  try {
    for (let i = 1; i <= rounds; i++) {
      const app = await appTurn(env, `accept-vs-floor-${i}`, durationS);
      const floor = await measureBaseline('nest-queue-accept', {
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
