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

describe('start-up with a bad configuration', () => {
  it('stops with one line naming COUPON_ISSUE_STRATEGY', () => {
    const result = start({ COUPON_ISSUE_STRATEGY: 'foo' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('Invalid configuration: "COUPON_ISSUE_STRATEGY" must be one of [lock, queue]');
    expect(result.stdout).toBe('');
  });

  it('stops with one line when the full profile has no JWT_SECRET', () => {
    const result = start({ APP_PROFILE: 'full' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('Invalid configuration: "JWT_SECRET" is required in the full profile (32 or more characters)');
  });
});
