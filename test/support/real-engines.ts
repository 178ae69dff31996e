import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
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
  const database = `commerce_t_${runId}_${suffix}`;
  const topicPrefix = `t.${runId}.${suffix}.`;
  const keyPrefix = `t:${runId}:${suffix}:`;
  await withMysql(engines, (c) => c.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
  return {
    env: {
      ...base,
      APP_PROFILE: 'full',
      DB_HOST: engines.db.host,
      DB_PORT: String(engines.db.port),
      DB_USER: engines.db.user,
      DB_PASSWORD: engines.db.password,
      DB_NAME: database,
      REDIS_URL: engines.redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      KAFKA_BROKERS: engines.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      // Tests restart the broker: consumers get their partitions back after 10 s instead of 30 (docs/errors.md).
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      ...extra,
    },
    cleanup: async () => {
      await withMysql(engines, (c) => c.query(`DROP DATABASE IF EXISTS \`${database}\``));
      await deleteRedisKeys(engines.redisUrl, keyPrefix);
      await deleteTopics(engines.kafkaBrokers, topicPrefix);
    },
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

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // Best effort: a fault test may have left Redis down; the prefix keeps leftovers harmless.
  } finally {
    redis.disconnect();
  }
}

async function deleteTopics(brokers: string, prefix: string): Promise<void> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  } catch {
    // Best effort, as above.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
