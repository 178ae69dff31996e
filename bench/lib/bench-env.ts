import { createSecretKey, randomBytes } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import Redis from 'ioredis';
import { createConnection, createPool, type Pool } from 'mysql2/promise';
import { fixKafkajsRequestQueue } from '../../src/platform/kafka/kafkajs-request-queue-fix';

/** The local engines `npm run engines:up` provides, overridable by the app's own variables. */
export const engines = {
  db: {
    host: process.env.DB_HOST ?? '127.0.0.1',
    port: Number(process.env.DB_PORT ?? 3306),
    user: process.env.DB_USER ?? 'commerce',
    password: process.env.DB_PASSWORD ?? 'commerce',
  },
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
};

// Random per run unless given (BENCH_URL runs must give the running app's values).
export const BENCH_JWT_SECRET = process.env.BENCH_JWT_SECRET ?? randomBytes(32).toString('base64url');
export const BENCH_ADMIN = {
  email: process.env.BENCH_ADMIN_EMAIL ?? 'bench-admin@example.com',
  password: process.env.BENCH_ADMIN_PASSWORD ?? randomBytes(16).toString('base64url'),
};

/**
 * Everything one bench run creates: a database, a Redis key prefix and a Kafka topic prefix,
 * all named after the run and removed at the end, so runs never see each other's data.
 */
// The load generator's own Kafka clients must not wake every millisecond either.
fixKafkajsRequestQueue();

export class BenchEnvironment {
  readonly runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  readonly database = `commerce_bench_${this.runId}`;
  readonly redisKeyPrefix = `bench:${this.runId}:`;
  readonly topicPrefix = `bench.${this.runId}.`;
  readonly kafka = new Kafka({ clientId: 'bench', brokers: engines.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  private pool?: Pool;
  // A KeyObject, as the app's own: with the string, jsonwebtoken first tries to parse it as a PEM
  // key on every sign, 0.5 ms of the load generator's CPU per token instead of 0.02 ms.
  private readonly jwt = new JwtService({ secret: createSecretKey(Buffer.from(BENCH_JWT_SECRET)) });
  private nextUserId = 1_000_000;

  async create(): Promise<void> {
    const connection = await createConnection(engines.db);
    try {
      await connection.query(`CREATE DATABASE \`${this.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } finally {
      await connection.end();
    }
  }

  /** App variables for the full profile on this run's resources. */
  appEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      APP_PROFILE: 'full',
      DB_HOST: engines.db.host,
      DB_PORT: String(engines.db.port),
      DB_USER: engines.db.user,
      DB_PASSWORD: engines.db.password,
      DB_NAME: this.database,
      REDIS_URL: engines.redisUrl,
      REDIS_KEY_PREFIX: this.redisKeyPrefix,
      KAFKA_BROKERS: engines.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      JWT_SECRET: BENCH_JWT_SECRET,
      ADMIN_EMAIL: BENCH_ADMIN.email,
      ADMIN_PASSWORD: BENCH_ADMIN.password,
      SEED_DEMO_DATA: 'false',
      LOG_LEVEL: 'warn',
      ...extra,
    };
  }

  /** A pool on the run's database, for correctness checks that read what the app stored. */
  db(): Pool {
    this.pool ??= createPool({ ...engines.db, database: this.database, connectionLimit: 4 });
    return this.pool;
  }

  async count(sql: string, params: unknown[] = []): Promise<number> {
    const [rows] = await this.db().query(sql, params);
    return Number((rows as Array<Record<string, unknown>>)[0]?.n ?? 0);
  }

  /** Fresh user ids, each with a signed access token (no password hashing in the hot loop). */
  users(count: number): Array<{ id: number; token: string }> {
    return Array.from({ length: count }, () => {
      const id = this.nextUserId++;
      return { id, token: this.jwt.sign({ sub: String(id), role: 'user' }, { expiresIn: 3600 }) };
    });
  }

  async cleanup(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
    const connection = await createConnection(engines.db);
    await connection.query(`DROP DATABASE IF EXISTS \`${this.database}\``).finally(() => connection.end());
    const redis = new Redis(engines.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.redisKeyPrefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    const admin: Admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(this.topicPrefix));
      if (topics.length > 0) await admin.deleteTopics({ topics });
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(this.topicPrefix));
      if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  }
}
