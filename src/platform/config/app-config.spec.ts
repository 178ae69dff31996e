import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Joi from 'joi';
import { ConfigError, configSchema, loadConfig, loadDatabaseConfig } from './app-config';
import { configSlice } from './config-slice';

/** The platform's variables alone: each module's slice has its own spec. */
const loadPlatform = (env: NodeJS.ProcessEnv) => loadConfig(env, []);

describe('loadConfig', () => {
  it('runs the embedded profile with defaults when nothing is set', () => {
    const config = loadPlatform({});
    expect(config.profile).toBe('embedded');
    expect(config.port).toBe(3000);
    expect(config.sqlitePath).toBe('./data/dev.sqlite');
    expect(config.seedDemoData).toBe(true);
  });

  it('gives every dependency a time budget, with defaults and a named error for a bad value', () => {
    const config = loadPlatform({});
    expect(config.db).toMatchObject({
      connectTimeoutMs: 3000,
      acquireTimeoutMs: 3000,
      statementTimeoutMs: 5000,
      transactionTimeoutMs: 10_000,
    });
    expect(config.redis.commandTimeoutMs).toBe(1000);
    expect(config.redis.connectTimeoutMs).toBe(2000);
    expect(config.kafka.produceTimeoutMs).toBe(5000);
    expect(loadPlatform({ DB_STATEMENT_TIMEOUT_MS: '750' }).db.statementTimeoutMs).toBe(750);
    expect(() => loadPlatform({ REDIS_COMMAND_TIMEOUT_MS: 'soon' })).toThrow(/"REDIS_COMMAND_TIMEOUT_MS" must be a number/);
    expect(loadPlatform({ REDIS_CONNECT_TIMEOUT_MS: '500' }).redis.connectTimeoutMs).toBe(500);
    expect(() => loadPlatform({ REDIS_CONNECT_TIMEOUT_MS: '10' })).toThrow(/"REDIS_CONNECT_TIMEOUT_MS"/);
    expect(() => loadPlatform({ KAFKA_PRODUCE_TIMEOUT_MS: '0' })).toThrow(/"KAFKA_PRODUCE_TIMEOUT_MS"/);
  });

  it('keeps the tuning constants of the outbox, idempotency, topics and Retry-After as validated settings', () => {
    const config = loadPlatform({});
    expect(config.outbox).toEqual({ batchSize: 100, pollIntervalMs: 1000, retentionSeconds: 7 * 86_400, maxAttempts: 5, relayPasses: 4 });
    expect(config.idempotency.retentionSeconds).toBe(86_400);
    expect(config.kafkaTopicPartitions).toBe(6);
    expect(config.retryAfter).toEqual({ busySeconds: 1, unavailableSeconds: 2 });
    expect(loadPlatform({ RETRY_AFTER_UNAVAILABLE_SECONDS: '5' }).retryAfter.unavailableSeconds).toBe(5);
    expect(() => loadPlatform({ RETRY_AFTER_UNAVAILABLE_SECONDS: '0' })).toThrow(/RETRY_AFTER_UNAVAILABLE_SECONDS/);
    expect(() => loadPlatform({ RETRY_AFTER_UNAVAILABLE_SECONDS: '1.5' })).toThrow(/RETRY_AFTER_UNAVAILABLE_SECONDS/);
    const tuned = loadPlatform({
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
    expect(() => loadPlatform({ OUTBOX_BATCH_SIZE: '0' })).toThrow(/OUTBOX_BATCH_SIZE/);
    expect(() => loadPlatform({ OUTBOX_MAX_ATTEMPTS: 'many' })).toThrow(/OUTBOX_MAX_ATTEMPTS/);
    expect(() => loadPlatform({ OUTBOX_RETENTION: 'a week' })).toThrow(/OUTBOX_RETENTION/);
    expect(() => loadPlatform({ OUTBOX_RELAY_PASSES: '0' })).toThrow(/OUTBOX_RELAY_PASSES/);
  });

  it('runs every role in one process by default; api and worker only in the full profile, with one clear line otherwise', () => {
    const full = { APP_PROFILE: 'full', JWT_SECRET: 'x'.repeat(32) };
    expect(loadPlatform({}).role).toBe('all');
    expect(loadPlatform(full).role).toBe('all');
    expect(loadPlatform({ ...full, APP_ROLE: 'api' }).role).toBe('api');
    expect(loadPlatform({ ...full, APP_ROLE: 'worker' }).role).toBe('worker');
    expect(() => loadPlatform({ APP_ROLE: 'worker' })).toThrow(
      new ConfigError(
        'Invalid configuration: "APP_ROLE" must be "all" in the embedded profile (its database, bus and lock live in one process); api and worker need APP_PROFILE=full',
      ),
    );
    expect(() => loadPlatform({ ...full, APP_ROLE: 'relay' })).toThrow(
      new ConfigError('Invalid configuration: "APP_ROLE" must be one of [all, api, worker]'),
    );
  });

  it("creates topics with the broker's replication unless KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS say", () => {
    expect(loadPlatform({}).kafka).toMatchObject({ replicationFactor: undefined, minInsyncReplicas: undefined });
    expect(loadPlatform({ KAFKA_REPLICATION_FACTOR: '', KAFKA_MIN_INSYNC_REPLICAS: '' }).kafka.replicationFactor).toBeUndefined();
    expect(loadPlatform({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' }).kafka).toMatchObject({
      replicationFactor: 3,
      minInsyncReplicas: 2,
    });
    expect(loadPlatform({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '3' }).kafka.minInsyncReplicas).toBe(3);
    // Each alone: the other stays the broker's. -1 is Kafka's own spelling of "the broker's default".
    expect(loadPlatform({ KAFKA_REPLICATION_FACTOR: '3' }).kafka).toMatchObject({ replicationFactor: 3, minInsyncReplicas: undefined });
    expect(loadPlatform({ KAFKA_MIN_INSYNC_REPLICAS: '2' }).kafka).toMatchObject({ replicationFactor: undefined, minInsyncReplicas: 2 });
    expect(loadPlatform({ KAFKA_REPLICATION_FACTOR: '-1', KAFKA_MIN_INSYNC_REPLICAS: '2' }).kafka).toMatchObject({
      replicationFactor: undefined,
      minInsyncReplicas: 2,
    });
    expect(() => loadPlatform({ KAFKA_REPLICATION_FACTOR: '0' })).toThrow(
      new ConfigError('Invalid configuration: "KAFKA_REPLICATION_FACTOR" must be 1 or more, or -1 for the broker\'s default'),
    );
    expect(() => loadPlatform({ KAFKA_REPLICATION_FACTOR: 'three' })).toThrow(/"KAFKA_REPLICATION_FACTOR" must be a number/);
    expect(() => loadPlatform({ KAFKA_REPLICATION_FACTOR: '2.5' })).toThrow(/"KAFKA_REPLICATION_FACTOR" must be an integer/);
    expect(() => loadPlatform({ KAFKA_REPLICATION_FACTOR: '40000' })).toThrow(/"KAFKA_REPLICATION_FACTOR"/);
    expect(() => loadPlatform({ KAFKA_MIN_INSYNC_REPLICAS: '0' })).toThrow(
      /"KAFKA_MIN_INSYNC_REPLICAS" must be greater than or equal to 1/,
    );
    expect(() => loadPlatform({ KAFKA_MIN_INSYNC_REPLICAS: '-1' })).toThrow(/"KAFKA_MIN_INSYNC_REPLICAS"/);
    // A topic whose writes need more in-sync replicas than it has could never acknowledge one.
    expect(() => loadPlatform({ KAFKA_REPLICATION_FACTOR: '2', KAFKA_MIN_INSYNC_REPLICAS: '3' })).toThrow(
      new ConfigError(
        'Invalid configuration: "KAFKA_MIN_INSYNC_REPLICAS" must not exceed KAFKA_REPLICATION_FACTOR (no write to such a topic could be acknowledged)',
      ),
    );
  });

  it('finds the Redis master through Sentinel when REDIS_SENTINELS and REDIS_SENTINEL_MASTER are set, both or neither', () => {
    expect(loadPlatform({}).redis.sentinel).toBeUndefined();
    expect(loadPlatform({ REDIS_SENTINELS: '', REDIS_SENTINEL_MASTER: '' }).redis.sentinel).toBeUndefined();
    expect(
      loadPlatform({ REDIS_SENTINELS: 'sentinel-1:26379,10.0.0.7:26380,localhost:5000', REDIS_SENTINEL_MASTER: 'commerce' }).redis,
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
    expect(() => loadPlatform({ REDIS_SENTINELS: 'sentinel-1:26379' })).toThrow(/REDIS_SENTINEL_MASTER/);
    expect(() => loadPlatform({ REDIS_SENTINEL_MASTER: 'commerce' })).toThrow(/REDIS_SENTINELS/);
    expect(() => loadPlatform({ REDIS_SENTINELS: 'sentinel-1', REDIS_SENTINEL_MASTER: 'commerce' })).toThrow(
      new ConfigError('Invalid configuration: "REDIS_SENTINELS" must be a comma-separated host:port list'),
    );
    expect(() => loadPlatform({ REDIS_SENTINELS: 'a:1, b:2', REDIS_SENTINEL_MASTER: 'commerce' })).toThrow(/"REDIS_SENTINELS"/);
    expect(() => loadPlatform({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_MASTER: 'my master' })).toThrow(
      /"REDIS_SENTINEL_MASTER" must be a master name/,
    );
  });

  it('requires a 32+ character JWT_SECRET (or a secret file) in the full profile', () => {
    expect(() => loadPlatform({ APP_PROFILE: 'full' })).toThrow(/"JWT_SECRET" or "JWT_SECRET_FILE" is required in the full profile/);
    expect(() => loadPlatform({ APP_PROFILE: 'full', JWT_SECRET: 'short' })).toThrow(/"JWT_SECRET" must be at least 32/);
    expect(loadPlatform({ APP_PROFILE: 'full', JWT_SECRET: 'x'.repeat(32) }).jwt.secret).toHaveLength(32);
  });

  it('gives the embedded profile a random secret kept beside its database (0600), reused on restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-spec-'));
    const env = { SQLITE_PATH: join(dir, 'db.sqlite') };
    const first = loadPlatform(env).jwt.secret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dir, 'jwt-secret'), 'utf8')).toBe(first);
    expect(statSync(join(dir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    expect(loadPlatform(env).jwt.secret).toBe(first);
    // Another data directory gets another secret; JWT_SECRET still wins.
    expect(loadPlatform({ SQLITE_PATH: join(mkdtempSync(join(tmpdir(), 'config-spec-')), 'db.sqlite') }).jwt.secret).not.toBe(first);
    expect(loadPlatform({ ...env, JWT_SECRET: 'z'.repeat(32) }).jwt.secret).toBe('z'.repeat(32));
  });

  it('listens on loopback in the embedded profile and on every interface in the full one, unless HOST says otherwise', () => {
    const sqlite = { SQLITE_PATH: ':memory:' };
    expect(loadPlatform(sqlite).host).toBe('127.0.0.1');
    expect(loadPlatform({ ...sqlite, HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadPlatform({ APP_PROFILE: 'full', JWT_SECRET: 'x'.repeat(32) }).host).toBe('0.0.0.0');
    expect(loadPlatform(sqlite).corsOrigins).toEqual([]);
    expect(loadPlatform({ ...sqlite, CORS_ORIGINS: 'https://a.example,http://localhost:5173' }).corsOrigins).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
    expect(() => loadPlatform({ ...sqlite, CORS_ORIGINS: '*' })).toThrow(/"CORS_ORIGINS"/);
  });

  it('names the variable for malformed numbers, brokers and durations', () => {
    expect(() => loadPlatform({ PORT: 'eighty' })).toThrow(/"PORT" must be a number/);
    expect(() => loadPlatform({ KAFKA_BROKERS: 'nohost' })).toThrow(/"KAFKA_BROKERS" must be a comma-separated host:port list/);
    expect(() => loadPlatform({ JWT_EXPIRES_IN: 'soon' })).toThrow(/"JWT_EXPIRES_IN"/);
  });

  it('parses lists, durations and booleans', () => {
    const config = loadPlatform({
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
    expect(loadPlatform({ PORT: '', LOG_LEVEL: '' })).toMatchObject({ port: 3000, logLevel: 'info' });
    // ...except where empty is a real value.
    expect(loadPlatform({ DB_PASSWORD: '' }).db.password).toBe('');
  });

  it('budgets failed logins and sign-ups, and stops on the variables they replaced', () => {
    expect(loadPlatform({}).authRateLimit).toEqual({
      failedLoginsPerIp: 100,
      failedLoginsPerEmail: 10,
      signupsPerIp: 20,
      windowSeconds: 900,
    });
    expect(loadPlatform({ AUTH_RATE_LIMIT_SIGNUPS_PER_IP: '500' }).authRateLimit.signupsPerIp).toBe(500);
    expect(() => loadPlatform({ AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL: '0' })).toThrow(/"AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL"/);
    expect(() => loadPlatform({ AUTH_RATE_LIMIT_PER_IP: '30' })).toThrow(
      'Invalid configuration: "AUTH_RATE_LIMIT_PER_IP" was replaced by AUTH_RATE_LIMIT_FAILED_LOGINS_PER_IP and AUTH_RATE_LIMIT_SIGNUPS_PER_IP',
    );
    expect(() => loadPlatform({ AUTH_RATE_LIMIT_PER_EMAIL: '10' })).toThrow(
      /"AUTH_RATE_LIMIT_PER_EMAIL" was replaced by AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL/,
    );
    expect(loadPlatform({ AUTH_RATE_LIMIT_PER_IP: '' }).authRateLimit.failedLoginsPerIp).toBe(100);
  });
});

describe('loadDatabaseConfig', () => {
  it('validates the database variables alone, as loadConfig does: the migration commands need no secret, Redis or Kafka', () => {
    const full = { APP_PROFILE: 'full', DB_NAME: 'shop', DB_PASSWORD: '' };
    expect(() => loadPlatform(full)).toThrow(/"JWT_SECRET" or "JWT_SECRET_FILE" is required/);
    const config = loadDatabaseConfig({ ...full, KAFKA_BROKERS: 'not a broker list' });
    expect(config).toMatchObject({ profile: 'full', db: { name: 'shop', password: '', port: 3306, migrationsRun: true } });
    expect(config.db).toEqual(loadPlatform({ ...full, JWT_SECRET: 'z'.repeat(32) }).db);
    expect(() => loadDatabaseConfig({ DB_PORT: 'x' })).toThrow(/"DB_PORT" must be a number/);
  });

  it('runs pending migrations at start-up unless DB_MIGRATIONS_RUN=false', () => {
    expect(loadPlatform({}).db.migrationsRun).toBe(true);
    expect(loadPlatform({ DB_MIGRATIONS_RUN: 'false' }).db.migrationsRun).toBe(false);
    expect(() => loadPlatform({ DB_MIGRATIONS_RUN: 'later' })).toThrow(/"DB_MIGRATIONS_RUN" must be a boolean/);
  });
});

describe("a module's configuration slice", () => {
  const WIDGETS = configSlice({
    key: 'widgets',
    variables: {
      WIDGET_COUNT: Joi.number().integer().min(1).default(3),
      WIDGET_COLOUR: Joi.string<'red' | 'blue'>().valid('red', 'blue'),
      WIDGET_SHAPE: Joi.string(),
    },
    rules: (schema) => schema.and('WIDGET_COLOUR', 'WIDGET_SHAPE'),
    settings: (env) => ({ count: env.WIDGET_COUNT, colour: env.WIDGET_COLOUR }),
  });
  const load = (env: NodeJS.ProcessEnv) => loadConfig(env, [WIDGETS]) as unknown as Record<string, unknown>;

  it("is validated with the platform's variables and read into its key", () => {
    expect(load({}).widgets).toEqual({ count: 3, colour: undefined });
    expect(load({ WIDGET_COUNT: '7', WIDGET_COLOUR: 'red', WIDGET_SHAPE: 'round' })).toMatchObject({
      port: 3000,
      widgets: { count: 7, colour: 'red' },
    });
    expect(load({ WIDGET_COUNT: '' }).widgets).toEqual({ count: 3, colour: undefined });
  });

  it('stops start-up naming the variable, with its own rules across its variables', () => {
    expect(() => load({ WIDGET_COUNT: 'many' })).toThrow(new ConfigError('Invalid configuration: "WIDGET_COUNT" must be a number'));
    expect(() => load({ WIDGET_COLOUR: 'green', WIDGET_SHAPE: 'round' })).toThrow(
      new ConfigError('Invalid configuration: "WIDGET_COLOUR" must be one of [red, blue]'),
    );
    expect(() => load({ WIDGET_COLOUR: 'red' })).toThrow(/WIDGET_SHAPE/);
    expect(() => load({ PORT: 'eighty' })).toThrow(/"PORT" must be a number/);
  });

  it('may not take a variable or a settings key that is already taken', () => {
    expect(() => configSchema([WIDGETS, WIDGETS])).toThrow('config variable WIDGET_COUNT is declared twice');
    const port = configSlice({ key: 'port', variables: {}, settings: () => 1 });
    expect(() => loadConfig({}, [port])).toThrow('config slice key "port" is taken');
    expect(() => configSchema([configSlice({ key: 'x', variables: { DB_HOST: Joi.string() }, settings: () => 1 })])).toThrow(
      'config variable DB_HOST is declared twice',
    );
  });
});
