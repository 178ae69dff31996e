/**
 * What the login rate limiter costs: `POST /auth/login` against the same build with the limiter
 * switched off, in the same run, interleaved, full profile (counts in Redis). Two bodies: one that
 * fails validation (400; since issue 28 the limiter runs after validation, so this is the control)
 * and a wrong password (401 after argon2, what a brute-force attempt costs: the limiter reads both
 * failure counts before argon2 and counts the failure after). Limits are out of reach.
 *   npm run build && node -r ts-node/register/transpile-only bench/tools/auth-rate-limit.ts [seconds]
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { RESULTS_DIR } from '../lib/results-dir';
import { AppUnderTest } from '../../support/app-under-test';
import { RunEnvironment } from '../../support/run-environment';
import { runLoad } from '../lib/load';

const DURATION_S = Number(process.argv[2] ?? 8);
const PRELOAD = join(__dirname, 'without-auth-rate-limit.js');

async function main(): Promise<void> {
  const env = new RunEnvironment();
  await env.create();
  const rows: string[] = [];
  try {
    for (const round of [1, 2]) {
      for (const [bodyName, body] of [
        ['invalid body', JSON.stringify({ email: 'nobody@example.com' })],
        // Any password: the account does not exist, so argon2 verifies against the decoy and answers 401.
        ['wrong password', JSON.stringify({ email: 'nobody@example.com', password: randomBytes(12).toString('hex') })],
      ] as const)
        for (const variant of ['limiter', 'no limiter'] as const) {
          const app = await AppUnderTest.start(
            `auth-${round}-${variant.replace(' ', '-')}-${bodyName.replace(' ', '-')}`,
            {
              ...env.appEnv({ AUTH_RATE_LIMIT_FAILED_LOGINS_PER_IP: '1000000000', AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL: '1000000000' }),
              ...(variant === 'no limiter' ? { NODE_OPTIONS: `--require ${PRELOAD}` } : {}),
            },
            { logDir: RESULTS_DIR },
          );
          try {
            const result = await runLoad(app, {
              durationS: DURATION_S,
              connections: 10,
              requests: [
                {
                  method: 'POST',
                  path: '/auth/login',
                  headers: { 'content-type': 'application/json' },
                  body,
                },
              ],
            });
            rows.push(
              `| ${round} | ${bodyName} | ${variant} | ${result.rps} | ${result.latencyMs.p50} | ${result.latencyMs.p99} | ${result.appCpuMsPerResponse} | ${JSON.stringify(result.statuses)} |`,
            );
          } finally {
            await app.stop();
          }
        }
    }
  } finally {
    await env.cleanup();
  }
  process.stdout.write(
    ['| round | body | variant | req/s | p50 ms | p99 ms | app CPU ms/req | statuses |', '|---|---|---|---|---|---|---|---|', ...rows].join(
      '\n',
    ) + '\n',
  );
}

void main();
