import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadAppConfig, loadDatabaseConfig } from './app-config';

describe('loadAppConfig', () => {
  it('runs the embedded profile with defaults when nothing is set', () => {
    const config = loadAppConfig({});
    expect(config.profile).toBe('embedded');
    expect(config.port).toBe(3000);
    expect(config.coupon.issueStrategy).toBe('lock');
    expect(config.sqlitePath).toBe('./data/dev.sqlite');
    expect(config.order.pendingTtlSeconds).toBe(900);
    expect(config.seedDemoData).toBe(true);
  });

  it('gives every dependency a time budget, with defaults and a named error for a bad value', () => {
    const config = loadAppConfig({});
    expect(config.db).toMatchObject({
      connectTimeoutMs: 3000,
      acquireTimeoutMs: 3000,
      statementTimeoutMs: 5000,
      transactionTimeoutMs: 10_000,
    });
    expect(config.redis.commandTimeoutMs).toBe(1000);
    expect(config.redis.connectTimeoutMs).toBe(2000);
    expect(config.kafka.produceTimeoutMs).toBe(5000);
    expect(loadAppConfig({ DB_STATEMENT_TIMEOUT_MS: '750' }).db.statementTimeoutMs).toBe(750);
    expect(() => loadAppConfig({ REDIS_COMMAND_TIMEOUT_MS: 'soon' })).toThrow(/"REDIS_COMMAND_TIMEOUT_MS" must be a number/);
    expect(loadAppConfig({ REDIS_CONNECT_TIMEOUT_MS: '500' }).redis.connectTimeoutMs).toBe(500);
    expect(() => loadAppConfig({ REDIS_CONNECT_TIMEOUT_MS: '10' })).toThrow(/"REDIS_CONNECT_TIMEOUT_MS"/);
    expect(() => loadAppConfig({ KAFKA_PRODUCE_TIMEOUT_MS: '0' })).toThrow(/"KAFKA_PRODUCE_TIMEOUT_MS"/);
  });

  it('keeps the tuning constants of the outbox, idempotency, topics and Retry-After as validated settings', () => {
    const config = loadAppConfig({});
    expect(config.outbox).toEqual({ batchSize: 100, pollIntervalMs: 1000, retentionSeconds: 7 * 86_400, maxAttempts: 5, relayPasses: 4 });
    expect(config.idempotency.retentionSeconds).toBe(86_400);
    expect(config.kafkaTopicPartitions).toBe(6);
    expect(config.retryAfter).toEqual({ busySeconds: 1, unavailableSeconds: 2 });
    expect(loadAppConfig({ RETRY_AFTER_UNAVAILABLE_SECONDS: '5' }).retryAfter.unavailableSeconds).toBe(5);
    expect(() => loadAppConfig({ RETRY_AFTER_UNAVAILABLE_SECONDS: '0' })).toThrow(/RETRY_AFTER_UNAVAILABLE_SECONDS/);
    expect(() => loadAppConfig({ RETRY_AFTER_UNAVAILABLE_SECONDS: '1.5' })).toThrow(/RETRY_AFTER_UNAVAILABLE_SECONDS/);
    const tuned = loadAppConfig({
      OUTBOX_BATCH_SIZE: '500',
      OUTBOX_RETENTION: '2d',
      IDEMPOTENCY_RETENTION: '90m',
      KAFKA_TOPIC_PARTITIONS: '3',
      OUTBOX_RELAY_PASSES: '8',
    });
    expect([
      tuned.outbox.batchSize,
      tuned.outbox.retentionSeconds,
      tuned.idempotency.retentionSeconds,
      tuned.kafkaTopicPartitions,
      tuned.outbox.relayPasses,
    ]).toEqual([500, 172_800, 5_400, 3, 8]);
    expect(() => loadAppConfig({ OUTBOX_BATCH_SIZE: '0' })).toThrow(/OUTBOX_BATCH_SIZE/);
    expect(() => loadAppConfig({ OUTBOX_MAX_ATTEMPTS: 'many' })).toThrow(/OUTBOX_MAX_ATTEMPTS/);
    expect(() => loadAppConfig({ OUTBOX_RETENTION: 'a week' })).toThrow(/OUTBOX_RETENTION/);
    expect(() => loadAppConfig({ OUTBOX_RELAY_PASSES: '0' })).toThrow(/OUTBOX_RELAY_PASSES/);
  });

  it('runs every role in one process by default; api and worker only in the full profile, with one clear line otherwise', () => {
    const full = { APP_PROFILE: 'full', JWT_SECRET: 'x'.repeat(32) };
    expect(loadAppConfig({}).role).toBe('all');
    expect(loadAppConfig(full).role).toBe('all');
    expect(loadAppConfig({ ...full, APP_ROLE: 'api' }).role).toBe('api');
    expect(loadAppConfig({ ...full, APP_ROLE: 'worker' }).role).toBe('worker');
    expect(() => loadAppConfig({ APP_ROLE: 'worker' })).toThrow(
      new ConfigError(
        'Invalid configuration: "APP_ROLE" must be "all" in the embedded profile (its database, bus and lock live in one process); api and worker need APP_PROFILE=full',
      ),
    );
    expect(() => loadAppConfig({ ...full, APP_ROLE: 'relay' })).toThrow(
      new ConfigError('Invalid configuration: "APP_ROLE" must be one of [all, api, worker]'),
    );
  });

  it("creates topics with the broker's replication unless KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS say", () => {
    expect(loadAppConfig({}).kafka).toMatchObject({ replicationFactor: undefined, minInsyncReplicas: undefined });
    expect(loadAppConfig({ KAFKA_REPLICATION_FACTOR: '', KAFKA_MIN_INSYNC_REPLICAS: '' }).kafka.replicationFactor).toBeUndefined();
    expect(loadAppConfig({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' }).kafka).toMatchObject({
      replicationFactor: 3,
      minInsyncReplicas: 2,
    });
    expect(loadAppConfig({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '3' }).kafka.minInsyncReplicas).toBe(3);
    // Each alone: the other stays the broker's. -1 is Kafka's own spelling of "the broker's default".
    expect(loadAppConfig({ KAFKA_REPLICATION_FACTOR: '3' }).kafka).toMatchObject({ replicationFactor: 3, minInsyncReplicas: undefined });
    expect(loadAppConfig({ KAFKA_MIN_INSYNC_REPLICAS: '2' }).kafka).toMatchObject({ replicationFactor: undefined, minInsyncReplicas: 2 });
    expect(loadAppConfig({ KAFKA_REPLICATION_FACTOR: '-1', KAFKA_MIN_INSYNC_REPLICAS: '2' }).kafka).toMatchObject({
      replicationFactor: undefined,
      minInsyncReplicas: 2,
    });
    expect(() => loadAppConfig({ KAFKA_REPLICATION_FACTOR: '0' })).toThrow(
      new ConfigError('Invalid configuration: "KAFKA_REPLICATION_FACTOR" must be 1 or more, or -1 for the broker\'s default'),
    );
    expect(() => loadAppConfig({ KAFKA_REPLICATION_FACTOR: 'three' })).toThrow(/"KAFKA_REPLICATION_FACTOR" must be a number/);
    expect(() => loadAppConfig({ KAFKA_REPLICATION_FACTOR: '2.5' })).toThrow(/"KAFKA_REPLICATION_FACTOR" must be an integer/);
    expect(() => loadAppConfig({ KAFKA_REPLICATION_FACTOR: '40000' })).toThrow(/"KAFKA_REPLICATION_FACTOR"/);
    expect(() => loadAppConfig({ KAFKA_MIN_INSYNC_REPLICAS: '0' })).toThrow(
      /"KAFKA_MIN_INSYNC_REPLICAS" must be greater than or equal to 1/,
    );
    expect(() => loadAppConfig({ KAFKA_MIN_INSYNC_REPLICAS: '-1' })).toThrow(/"KAFKA_MIN_INSYNC_REPLICAS"/);
    // A topic whose writes need more in-sync replicas than it has could never acknowledge one.
    expect(() => loadAppConfig({ KAFKA_REPLICATION_FACTOR: '2', KAFKA_MIN_INSYNC_REPLICAS: '3' })).toThrow(
      new ConfigError(
        'Invalid configuration: "KAFKA_MIN_INSYNC_REPLICAS" must not exceed KAFKA_REPLICATION_FACTOR (no write to such a topic could be acknowledged)',
      ),
    );
  });

  it('finds the Redis master through Sentinel when REDIS_SENTINELS and REDIS_SENTINEL_MASTER are set, both or neither', () => {
    expect(loadAppConfig({}).redis.sentinel).toBeUndefined();
    expect(loadAppConfig({ REDIS_SENTINELS: '', REDIS_SENTINEL_MASTER: '' }).redis.sentinel).toBeUndefined();
    expect(
      loadAppConfig({ REDIS_SENTINELS: 'sentinel-1:26379,10.0.0.7:26380,localhost:5000', REDIS_SENTINEL_MASTER: 'commerce' }).redis,
    ).toMatchObject({
      url: 'redis://127.0.0.1:6379',
      sentinel: {
        hosts: [
          { host: 'sentinel-1', port: 26379 },
          { host: '10.0.0.7', port: 26380 },
          { host: 'localhost', port: 5000 },
        ],
        masterName: 'commerce',
      },
    });
    expect(() => loadAppConfig({ REDIS_SENTINELS: 'sentinel-1:26379' })).toThrow(/REDIS_SENTINEL_MASTER/);
    expect(() => loadAppConfig({ REDIS_SENTINEL_MASTER: 'commerce' })).toThrow(/REDIS_SENTINELS/);
    expect(() => loadAppConfig({ REDIS_SENTINELS: 'sentinel-1', REDIS_SENTINEL_MASTER: 'commerce' })).toThrow(
      new ConfigError('Invalid configuration: "REDIS_SENTINELS" must be a comma-separated host:port list'),
    );
    expect(() => loadAppConfig({ REDIS_SENTINELS: 'a:1, b:2', REDIS_SENTINEL_MASTER: 'commerce' })).toThrow(/"REDIS_SENTINELS"/);
    expect(() => loadAppConfig({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_MASTER: 'my master' })).toThrow(
      /"REDIS_SENTINEL_MASTER" must be a master name/,
    );
  });

  it('rejects an unknown coupon strategy naming the variable', () => {
    expect(() => loadAppConfig({ COUPON_ISSUE_STRATEGY: 'foo' })).toThrow(
      new ConfigError('Invalid configuration: "COUPON_ISSUE_STRATEGY" must be one of [lock, queue]'),
    );
  });

  it('requires a 32+ character JWT_SECRET (or a secret file) in the full profile', () => {
    expect(() => loadAppConfig({ APP_PROFILE: 'full' })).toThrow(/"JWT_SECRET" or "JWT_SECRET_FILE" is required in the full profile/);
    expect(() => loadAppConfig({ APP_PROFILE: 'full', JWT_SECRET: 'short' })).toThrow(/"JWT_SECRET" must be at least 32/);
    expect(loadAppConfig({ APP_PROFILE: 'full', JWT_SECRET: 'x'.repeat(32) }).jwt.secret).toHaveLength(32);
  });

  it('gives the embedded profile a random secret kept beside its database (0600), reused on restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-spec-'));
    const env = { SQLITE_PATH: join(dir, 'db.sqlite') };
    const first = loadAppConfig(env).jwt.secret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dir, 'jwt-secret'), 'utf8')).toBe(first);
    expect(statSync(join(dir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    expect(loadAppConfig(env).jwt.secret).toBe(first);
    // Another data directory gets another secret; JWT_SECRET still wins.
    expect(loadAppConfig({ SQLITE_PATH: join(mkdtempSync(join(tmpdir(), 'config-spec-')), 'db.sqlite') }).jwt.secret).not.toBe(first);
    expect(loadAppConfig({ ...env, JWT_SECRET: 'z'.repeat(32) }).jwt.secret).toBe('z'.repeat(32));
  });

  it('listens on loopback in the embedded profile and on every interface in the full one, unless HOST says otherwise', () => {
    const sqlite = { SQLITE_PATH: ':memory:' };
    expect(loadAppConfig(sqlite).host).toBe('127.0.0.1');
    expect(loadAppConfig({ ...sqlite, HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadAppConfig({ APP_PROFILE: 'full', JWT_SECRET: 'x'.repeat(32) }).host).toBe('0.0.0.0');
    expect(loadAppConfig(sqlite).corsOrigins).toEqual([]);
    expect(loadAppConfig({ ...sqlite, CORS_ORIGINS: 'https://a.example,http://localhost:5173' }).corsOrigins).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
    expect(() => loadAppConfig({ ...sqlite, CORS_ORIGINS: '*' })).toThrow(/"CORS_ORIGINS"/);
  });

  it('names the variable for malformed numbers, brokers and durations', () => {
    expect(() => loadAppConfig({ PORT: 'eighty' })).toThrow(/"PORT" must be a number/);
    expect(() => loadAppConfig({ KAFKA_BROKERS: 'nohost' })).toThrow(/"KAFKA_BROKERS" must be a comma-separated host:port list/);
    expect(() => loadAppConfig({ JWT_EXPIRES_IN: 'soon' })).toThrow(/"JWT_EXPIRES_IN"/);
    expect(() => loadAppConfig({ ADMIN_EMAIL: 'admin@example.com' })).toThrow(/ADMIN_PASSWORD/);
  });

  it('parses lists, durations and booleans', () => {
    const config = loadAppConfig({
      KAFKA_BROKERS: 'a:9092,b:9093',
      JWT_EXPIRES_IN: '15m',
      SEED_DEMO_DATA: 'false',
      APP_PROFILE: 'full',
      JWT_SECRET: 'y'.repeat(40),
    });
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(config.jwt.expiresInSeconds).toBe(900);
    expect(config.seedDemoData).toBe(false);
  });

  it('treats empty values as unset', () => {
    expect(loadAppConfig({ PORT: '', COUPON_ISSUE_STRATEGY: '' }).port).toBe(3000);
    // ...except where empty is a real value.
    expect(loadAppConfig({ DB_PASSWORD: '' }).db.password).toBe('');
  });

  it('budgets failed logins and sign-ups, and stops on the variables they replaced', () => {
    expect(loadAppConfig({}).authRateLimit).toEqual({
      failedLoginsPerIp: 100,
      failedLoginsPerEmail: 10,
      signupsPerIp: 20,
      windowSeconds: 900,
    });
    expect(loadAppConfig({ AUTH_RATE_LIMIT_SIGNUPS_PER_IP: '500' }).authRateLimit.signupsPerIp).toBe(500);
    expect(() => loadAppConfig({ AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL: '0' })).toThrow(/"AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL"/);
    expect(() => loadAppConfig({ AUTH_RATE_LIMIT_PER_IP: '30' })).toThrow(
      'Invalid configuration: "AUTH_RATE_LIMIT_PER_IP" was replaced by AUTH_RATE_LIMIT_FAILED_LOGINS_PER_IP and AUTH_RATE_LIMIT_SIGNUPS_PER_IP',
    );
    expect(() => loadAppConfig({ AUTH_RATE_LIMIT_PER_EMAIL: '10' })).toThrow(
      /"AUTH_RATE_LIMIT_PER_EMAIL" was replaced by AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL/,
    );
    expect(loadAppConfig({ AUTH_RATE_LIMIT_PER_IP: '' }).authRateLimit.failedLoginsPerIp).toBe(100);
  });
});

describe('loadDatabaseConfig', () => {
  it('validates the database variables alone, as loadAppConfig does: the migration commands need no secret, Redis or Kafka', () => {
    const full = { APP_PROFILE: 'full', DB_NAME: 'shop', DB_PASSWORD: '' };
    expect(() => loadAppConfig(full)).toThrow(/"JWT_SECRET" or "JWT_SECRET_FILE" is required/);
    const config = loadDatabaseConfig({ ...full, KAFKA_BROKERS: 'not a broker list' });
    expect(config).toMatchObject({ profile: 'full', db: { name: 'shop', password: '', port: 3306, migrationsRun: true } });
    expect(config.db).toEqual(loadAppConfig({ ...full, JWT_SECRET: 'z'.repeat(32) }).db);
    expect(() => loadDatabaseConfig({ DB_PORT: 'x' })).toThrow(/"DB_PORT" must be a number/);
  });

  it('runs pending migrations at start-up unless DB_MIGRATIONS_RUN=false', () => {
    expect(loadAppConfig({}).db.migrationsRun).toBe(true);
    expect(loadAppConfig({ DB_MIGRATIONS_RUN: 'false' }).db.migrationsRun).toBe(false);
    expect(() => loadAppConfig({ DB_MIGRATIONS_RUN: 'later' })).toThrow(/"DB_MIGRATIONS_RUN" must be a boolean/);
  });
});
