import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Starts the real entry point with an environment and returns how it ended. */
function start(env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr.trim(), stdout: result.stdout.trim() };
}

/** Not at a terminal, a failed start is exactly one JSON line on stderr (pino's fatal level). */
function failureLine(result: { stderr: string; stdout: string }): { level: number; msg: string; err?: { message: string } } {
  expect(result.stderr.split('\n')).toHaveLength(1);
  expect(result.stdout).toBe('');
  return JSON.parse(result.stderr);
}

describe('start-up failures', () => {
  it('stops with one line naming COUPON_ISSUE_STRATEGY', () => {
    const result = start({ COUPON_ISSUE_STRATEGY: 'foo' });
    expect(result.status).toBe(1);
    expect(failureLine(result)).toMatchObject({
      level: 60,
      msg: 'Invalid configuration: "COUPON_ISSUE_STRATEGY" must be one of [lock, queue]',
    });
  });

  it('stops with one line when the full profile has no JWT_SECRET', () => {
    const result = start({ APP_PROFILE: 'full' });
    expect(result.status).toBe(1);
    expect(failureLine(result).msg).toBe(
      'Invalid configuration: "JWT_SECRET" or "JWT_SECRET_FILE" is required in the full profile (32 or more characters)',
    );
  });

  it('stops with one line, not a coloured trace and a second copy, when the database refuses', () => {
    const result = start({
      APP_PROFILE: 'full',
      JWT_SECRET: 'z'.repeat(40),
      DB_HOST: '127.0.0.1',
      DB_PORT: '1',
      KAFKA_BROKERS: '127.0.0.1:1',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(result.status).toBe(1);
    const line = failureLine(result);
    expect(line).toMatchObject({
      level: 60,
      msg: 'start-up failed: connect ECONNREFUSED 127.0.0.1:1',
      err: { message: 'connect ECONNREFUSED 127.0.0.1:1' },
    });
    // No ANSI colour codes.
    expect(result.stderr.includes('\u001b[')).toBe(false);
  });
});
