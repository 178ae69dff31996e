import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import { IsolatedResources } from '../../support/isolated-resources';
import { type Engines, readDecision, recordSkip } from './engines';

export type Profile = 'embedded' | 'full';
export type EnvOverrides = Record<string, string>;

// Random per test process: no test depends on a secret written in the source.
const TEST_JWT_SECRET = randomBytes(32).toString('base64url');

/** The engines of this run, or null when the run has none. */
export function currentEngines(): Engines | null {
  return readDecision().engines;
}

/** Profiles every e2e suite runs on: embedded always, full when the run has real engines. */
export function profilesUnderTest(): Profile[] {
  const profiles: Profile[] = ['embedded'];
  if (currentEngines()) profiles.push('full');
  else recordSkip(readDecision().runId, `full-profile run of ${expect.getState().testPath}`);
  return profiles;
}

/** A describe() that needs real MySQL/Redis/Kafka; skipped, and listed at the end, when the run has none. */
export function describeWithEngines(title: string, body: (engines: Engines) => void): void {
  const engines = currentEngines();
  if (engines) {
    describe(title, () => body(engines));
    return;
  }
  recordSkip(readDecision().runId, `${title} (${expect.getState().testPath})`);
  const skipSuite = describe.skip;
  skipSuite(title, () => body(null as unknown as Engines));
}

export interface IsolatedEnvironment {
  env: EnvOverrides;
  cleanup(): Promise<void>;
}

/**
 * Fresh resources for one test file: its own database, Redis key prefix and Kafka topic prefix,
 * so files and runs sharing the engines cannot see each other's data.
 */
export async function isolatedEnvironment(profile: Profile, extra: EnvOverrides = {}): Promise<IsolatedEnvironment> {
  const { runId } = readDecision();
  const suffix = randomBytes(3).toString('hex');
  const base = {
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    SEED_DEMO_DATA: 'false',
    // Suites sign up hundreds of users from 127.0.0.1; the limiter has its own test with real limits.
    AUTH_RATE_LIMIT_SIGNUPS_PER_IP: '1000000',
    AUTH_RATE_LIMIT_FAILED_LOGINS_PER_IP: '1000000',
    AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL: '1000000',
  };
  if (profile === 'embedded') {
    const sqlitePath = join(tmpdir(), 'commerce-tests', `${runId}-${suffix}.sqlite`);
    return {
      env: { ...base, APP_PROFILE: 'embedded', SQLITE_PATH: sqlitePath, ...extra },
      cleanup: async () => {
        for (const ext of ['', '-wal', '-shm']) rmSync(`${sqlitePath}${ext}`, { force: true });
      },
    };
  }
  const engines = currentEngines();
  if (!engines) throw new Error('the full profile needs real engines');
  const resources = new IsolatedResources(engines, 't', `${runId}_${suffix}`);
  await resources.create();
  return {
    env: {
      ...base,
      ...resources.appEnv(),
      // Tests restart the broker: consumers get their partitions back after 10 s instead of 30 (docs/errors.md).
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      ...extra,
    },
    cleanup: () => resources.cleanup(),
  };
}

export async function withMysql<T>(
  engines: Engines,
  work: (connection: Awaited<ReturnType<typeof createConnection>>) => Promise<T>,
  database?: string,
): Promise<T> {
  const connection = await createConnection({ ...engines.db, database, multipleStatements: false });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}
