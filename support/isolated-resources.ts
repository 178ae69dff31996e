import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { createConnection } from 'mysql2/promise';

/** Where the real engines answer. */
export interface EngineAddresses {
  db: { host: string; port: number; user: string; password: string };
  redisUrl: string;
  kafkaBrokers: string;
}

/** The local engines `npm run engines:up` provides, overridable by the app's own variables. */
export const localEngines: EngineAddresses = {
  db: {
    host: process.env.DB_HOST ?? '127.0.0.1',
    port: Number(process.env.DB_PORT ?? 3306),
    user: process.env.DB_USER ?? 'commerce',
    password: process.env.DB_PASSWORD ?? 'commerce',
  },
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
};

/**
 * The one isolated environment builder of the tests, the bench and the scripts: a database, a
 * Redis key prefix and a Kafka topic prefix of one run (or one test file) on shared engines, so
 * runs never see each other's data, and the full profile's variables that point an app at them.
 * `cleanup()` removes all three (topics and consumer groups under the prefix).
 */
export class IsolatedResources {
  readonly database: string;
  readonly redisKeyPrefix: string;
  readonly topicPrefix: string;

  /** `label` and `runId` name everything: database `commerce_<label>_<runId>`, prefixes `<label>:<runId>:` and `<label>.<runId>.`. */
  constructor(
    readonly engines: EngineAddresses,
    label: string,
    readonly runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`,
  ) {
    this.database = `commerce_${label}_${runId}`;
    this.redisKeyPrefix = `${label}:${runId}:`;
    this.topicPrefix = `${label}.${runId}.`;
  }

  async create(): Promise<void> {
    const connection = await createConnection(this.engines.db);
    try {
      await connection.query(`CREATE DATABASE \`${this.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } finally {
      await connection.end();
    }
  }

  /** The app's variables for the full profile on these resources. */
  appEnv(): Record<string, string> {
    return {
      APP_PROFILE: 'full',
      DB_HOST: this.engines.db.host,
      DB_PORT: String(this.engines.db.port),
      DB_USER: this.engines.db.user,
      DB_PASSWORD: this.engines.db.password,
      DB_NAME: this.database,
      REDIS_URL: this.engines.redisUrl,
      REDIS_KEY_PREFIX: this.redisKeyPrefix,
      KAFKA_BROKERS: this.engines.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
    };
  }

  /** Drops the database; deletes the Redis keys, topics and groups under the prefixes (best effort: a fault run may have left Redis or Kafka down, and the prefixes keep leftovers harmless). */
  async cleanup(): Promise<void> {
    const connection = await createConnection(this.engines.db);
    await connection.query(`DROP DATABASE IF EXISTS \`${this.database}\``).finally(() => connection.end());
    await deleteRedisKeys(this.engines.redisUrl, this.redisKeyPrefix);
    await deleteTopicsAndGroups(this.engines.kafkaBrokers, this.topicPrefix);
  }
}

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // Best effort, as said above.
  } finally {
    redis.disconnect();
  }
}

async function deleteTopicsAndGroups(brokers: string, prefix: string): Promise<void> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups);
  } catch {
    // Best effort, as said above.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
