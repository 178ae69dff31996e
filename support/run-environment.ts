import { createSecretKey, randomBytes } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { Kafka, logLevel } from 'kafkajs';
import { createPool, type Pool } from 'mysql2/promise';
import { fixKafkajsRequestQueue } from '../src/platform/kafka/kafkajs-request-queue-fix';
import { IsolatedResources, localEngines } from './isolated-resources';

// Random per run unless given (BENCH_URL runs must give the running app's values).
export const BENCH_JWT_SECRET = process.env.BENCH_JWT_SECRET ?? randomBytes(32).toString('base64url');
export const BENCH_ADMIN = {
  email: process.env.BENCH_ADMIN_EMAIL ?? 'bench-admin@example.com',
  password: process.env.BENCH_ADMIN_PASSWORD ?? randomBytes(16).toString('base64url'),
};

// The load generator's own Kafka clients must not wake every millisecond either.
fixKafkajsRequestQueue();

/**
 * What one run of the bench, the fuzzer, the chaos run or the monitoring check drives app
 * processes in: isolated resources on the local engines (removed at the end), an admin the app
 * creates at start-up, and users with signed tokens.
 */
export class RunEnvironment extends IsolatedResources {
  readonly kafka = new Kafka({ clientId: 'bench', brokers: localEngines.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  private pool?: Pool;
  // A KeyObject, as the app's own: with the string, jsonwebtoken first tries to parse it as a PEM
  // key on every sign, 0.5 ms of the load generator's CPU per token instead of 0.02 ms.
  private readonly jwt = new JwtService({ secret: createSecretKey(Buffer.from(BENCH_JWT_SECRET)) });
  private nextUserId = 1_000_000;

  constructor() {
    super(localEngines, 'bench');
  }

  /** App variables for the full profile on this run's resources, with its admin and token secret. */
  override appEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...super.appEnv(),
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
    this.pool ??= createPool({ ...this.engines.db, database: this.database, connectionLimit: 4 });
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

  override async cleanup(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
    await super.cleanup();
  }
}
