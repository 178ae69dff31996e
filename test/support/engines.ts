/**
 * Which real engines this test run uses, decided once in global setup and read by every file:
 *   1. env: DB_HOST, REDIS_URL and KAFKA_BROKERS given (CI, scripts/engines/up.sh);
 *   2. testcontainers: a Docker engine answers, so MySQL, Redis and Kafka start in containers, from
 *      the images docker-compose.yml runs (engine-images.json; scripts/ci/check-compose.sh compares);
 *   3. none: real-engine suites are skipped and named, or fail with TEST_REQUIRE_ENGINES=1.
 */
import { mkdirSync, appendFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import images from './engine-images.json';
import { KAFKA_HOST_PORT, startKafkaContainer } from './kafka-container';

export interface Engines {
  mode: 'env' | 'testcontainers';
  db: { host: string; port: number; user: string; password: string };
  redisUrl: string;
  kafkaBrokers: string;
  /** Container ids, so teardown can stop them (testcontainers mode). */
  containerIds?: string[];
}

export interface EngineDecision {
  runId: string;
  engines: Engines | null;
  /** Why there are no engines, when there are none. */
  reason?: string;
}

const DECISION_ENV = 'COMMERCE_TEST_ENGINES';

export function writeDecision(decision: EngineDecision): void {
  process.env[DECISION_ENV] = JSON.stringify(decision);
}

export function readDecision(): EngineDecision {
  const raw = process.env[DECISION_ENV];
  if (!raw) throw new Error('test/support/global-setup.ts did not run (use `npm test`)');
  return JSON.parse(raw) as EngineDecision;
}

export function enginesRequired(): boolean {
  return process.env.TEST_REQUIRE_ENGINES === '1' || process.env.TEST_REQUIRE_ENGINES === 'true';
}

export async function decideEngines(runId: string): Promise<EngineDecision> {
  const given = ['DB_HOST', 'REDIS_URL', 'KAFKA_BROKERS'].filter((name) => process.env[name]);
  if (given.length > 0) {
    if (given.length < 3) {
      throw new Error(`Engines from env need DB_HOST, REDIS_URL and KAFKA_BROKERS together; only ${given.join(', ')} set`);
    }
    return {
      runId,
      engines: {
        mode: 'env',
        db: {
          host: process.env.DB_HOST!,
          port: Number(process.env.DB_PORT ?? 3306),
          user: process.env.DB_USER ?? 'root',
          password: process.env.DB_PASSWORD ?? '',
        },
        redisUrl: process.env.REDIS_URL!,
        kafkaBrokers: process.env.KAFKA_BROKERS!,
      },
    };
  }
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    return {
      runId,
      engines: null,
      reason: `no DB_HOST/REDIS_URL/KAFKA_BROKERS in env and no Docker engine (${(error as Error).message})`,
    };
  }
  return { runId, engines: await startContainers() };
}

async function startContainers(): Promise<Engines> {
  const { MySqlContainer } = await import('@testcontainers/mysql');
  const { RedisContainer } = await import('@testcontainers/redis');
  const [mysql, redis, kafka] = await Promise.all([
    new MySqlContainer(images.mysql).withRootPassword('root').start(),
    new RedisContainer(images.redis).start(),
    startKafkaContainer(),
  ]);
  return {
    mode: 'testcontainers',
    db: { host: mysql.getHost(), port: mysql.getPort(), user: 'root', password: mysql.getRootPassword() },
    redisUrl: redis.getConnectionUrl(),
    kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(KAFKA_HOST_PORT)}`,
    containerIds: [mysql.getId(), redis.getId(), kafka.getId()],
  };
}

// Skipped suites are written to a file so global teardown can list them after the run.
function skipLog(runId: string): string {
  const dir = join(tmpdir(), 'commerce-tests');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${runId}-skipped.txt`);
}

export function recordSkip(runId: string, suite: string): void {
  appendFileSync(skipLog(runId), `${suite}\n`);
}

export function readSkips(runId: string): string[] {
  const file = skipLog(runId);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}
