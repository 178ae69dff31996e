import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as Joi from 'joi';
import { type ConfigSlice } from './config-slice';

export type AppProfile = 'embedded' | 'full';
/**
 * What this process runs: `api` the HTTP API only, `worker` the background work only (the outbox
 * relay, every consumer group, the sweeps) with health and /metrics as its HTTP surface, `all` both.
 */
export type AppRole = 'all' | 'api' | 'worker';

/**
 * The validated, typed configuration, built once from the environment by {@link loadConfig}: the
 * platform's settings, and each business module's, which the module adds to this type beside its
 * slice (see {@link ConfigSlice}).
 */
export interface AppConfig extends PlatformConfig {}

/** The platform's settings. */
export interface PlatformConfig {
  port: number;
  host: string;
  /** Fastify's trustProxy: take the client address from X-Forwarded-For (rate limits per IP). */
  trustProxy: boolean;
  corsOrigins: string[];
  profile: AppProfile;
  role: AppRole;
  logLevel: string;
  db: {
    host: string;
    port: number;
    user: string;
    password: string;
    name: string;
    poolSize: number;
    /** Budgets (ms): open a connection, wait for a pooled one, one statement, one transaction. */
    connectTimeoutMs: number;
    acquireTimeoutMs: number;
    statementTimeoutMs: number;
    transactionTimeoutMs: number;
    /** Apply pending migrations at start-up (true), or refuse to start while any is pending (false). */
    migrationsRun: boolean;
  };
  sqlitePath: string;
  /**
   * Budgets (ms): open the connection (each reconnect too), one command. `sentinel`: the master is
   * found through these Sentinels by its name (REDIS_URL's host and port are then not used).
   */
  redis: {
    url: string;
    keyPrefix: string;
    connectTimeoutMs: number;
    commandTimeoutMs: number;
    sentinel?: { hosts: Array<{ host: string; port: number }>; masterName: string };
  };
  /**
   * `sessionTimeoutMs`: a consumer group member silent this long is dropped, and its partitions move.
   * `replicationFactor` and `minInsyncReplicas`: of the topics the app creates; undefined = the broker's default.
   */
  kafka: {
    brokers: string[];
    topicPrefix: string;
    clientId: string;
    produceTimeoutMs: number;
    sessionTimeoutMs: number;
    replicationFactor?: number;
    minInsyncReplicas?: number;
  };
  jwt: { secret: string; expiresInSeconds: number };
  /**
   * Per fixed window of `windowSeconds`: failed logins per client address and per email, sign-ups per
   * client address (successful logins are not counted).
   */
  authRateLimit: { failedLoginsPerIp: number; failedLoginsPerEmail: number; signupsPerIp: number; windowSeconds: number };
  /** The relay: rows claimed per pass, idle poll, how long SENT rows are kept, attempts before DEAD, passes at once. */
  outbox: { batchSize: number; pollIntervalMs: number; retentionSeconds: number; maxAttempts: number; relayPasses: number };
  idempotency: { retentionSeconds: number };
  /** Partitions of a topic the app creates, unless its consumer asks for another count. */
  kafkaTopicPartitions: number;
  /**
   * Retry-After (seconds): `busySeconds` on a refusal because a resource is contended (an
   * Idempotency-Key in progress, a module's contended resource), `unavailableSeconds` on every 503
   * because a dependency is away (SERVICE_UNAVAILABLE, and a module's own codes for one).
   */
  retryAfter: { busySeconds: number; unavailableSeconds: number };
  seedDemoData: boolean;
}

/** Where the outbox relay, the consumer groups and the sweeps run: roles `all` and `worker`. */
export function runsBackgroundWork(config: Pick<AppConfig, 'role'>): boolean {
  return config.role !== 'api';
}

/** Where the HTTP API is served: roles `all` and `api` (a worker answers health and /metrics only). */
export function servesHttpApi(config: Pick<AppConfig, 'role'>): boolean {
  return config.role !== 'worker';
}

/** Thrown when the environment is invalid; its message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const duration = Joi.string()
  .pattern(/^\d+[smhd]?$/)
  .messages({
    'string.pattern.base': '"{#label}" must be a number of seconds or a duration like 15m, 1h, 7d',
  });

/** The environment once validated: defaults applied, numbers and booleans converted. */
interface ValidatedEnv {
  PORT: number;
  APP_PROFILE: AppProfile;
  APP_ROLE: AppRole;
  HOST: string;
  TRUST_PROXY: boolean;
  CORS_ORIGINS?: string;
  LOG_LEVEL: string;
  DB_HOST: string;
  DB_PORT: number;
  DB_USER: string;
  DB_PASSWORD: string;
  DB_NAME: string;
  DB_POOL_SIZE: number;
  DB_CONNECT_TIMEOUT_MS: number;
  DB_ACQUIRE_TIMEOUT_MS: number;
  DB_STATEMENT_TIMEOUT_MS: number;
  DB_TRANSACTION_TIMEOUT_MS: number;
  DB_MIGRATIONS_RUN: boolean;
  SQLITE_PATH: string;
  REDIS_URL: string;
  REDIS_KEY_PREFIX: string;
  REDIS_CONNECT_TIMEOUT_MS: number;
  REDIS_COMMAND_TIMEOUT_MS: number;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_MASTER?: string;
  KAFKA_BROKERS: string;
  KAFKA_TOPIC_PREFIX: string;
  KAFKA_CLIENT_ID: string;
  KAFKA_PRODUCE_TIMEOUT_MS: number;
  KAFKA_SESSION_TIMEOUT_MS: number;
  KAFKA_REPLICATION_FACTOR?: number;
  KAFKA_MIN_INSYNC_REPLICAS?: number;
  JWT_SECRET?: string;
  JWT_SECRET_FILE?: string;
  JWT_EXPIRES_IN: string;
  OUTBOX_BATCH_SIZE: number;
  OUTBOX_POLL_INTERVAL_MS: number;
  OUTBOX_RETENTION: string;
  OUTBOX_MAX_ATTEMPTS: number;
  OUTBOX_RELAY_PASSES: number;
  IDEMPOTENCY_RETENTION: string;
  KAFKA_TOPIC_PARTITIONS: number;
  RETRY_AFTER_BUSY_SECONDS: number;
  RETRY_AFTER_UNAVAILABLE_SECONDS: number;
  AUTH_RATE_LIMIT_FAILED_LOGINS_PER_IP: number;
  AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL: number;
  AUTH_RATE_LIMIT_SIGNUPS_PER_IP: number;
  AUTH_RATE_LIMIT_WINDOW_SECONDS: number;
  SEED_DEMO_DATA?: boolean;
}

// Settings of the earlier login limiter, which counted every attempt: start-up names their replacements.
const REPLACED_VARIABLES: Record<string, string> = {
  AUTH_RATE_LIMIT_PER_IP: 'AUTH_RATE_LIMIT_FAILED_LOGINS_PER_IP and AUTH_RATE_LIMIT_SIGNUPS_PER_IP (see .env.example)',
  AUTH_RATE_LIMIT_PER_EMAIL: 'AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL (see .env.example)',
};

/** The platform's variables (the modules' are in their slices); README's Configuration table and .env.example list them all. */
const envSchema = Joi.object<ValidatedEnv>({
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  APP_PROFILE: Joi.string().valid('embedded', 'full').default('embedded'),
  // The embedded profile's database file, bus and lock live in one process: only `all` there.
  APP_ROLE: Joi.when('APP_PROFILE', {
    is: 'full',
    then: Joi.string().valid('all', 'api', 'worker').default('all'),
    otherwise: Joi.string().valid('all').default('all').messages({
      'any.only':
        '"APP_ROLE" must be "all" in the embedded profile (its database, bus and lock live in one process); api and worker need APP_PROFILE=full',
    }),
  }),
  // The embedded profile is a demo on a laptop: loopback only unless asked. The full profile is
  // meant for containers, where the published port is the boundary.
  HOST: Joi.when('APP_PROFILE', {
    is: 'full',
    then: Joi.string().hostname().default('0.0.0.0'),
    otherwise: Joi.string().hostname().default('127.0.0.1'),
  }),
  TRUST_PROXY: Joi.boolean().default(false),
  CORS_ORIGINS: Joi.string()
    .pattern(/^https?:\/\/[^,\s]+(,https?:\/\/[^,\s]+)*$/)
    .messages({ 'string.pattern.base': '"CORS_ORIGINS" must be a comma-separated list of http(s) origins' }),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
  DB_HOST: Joi.string().default('127.0.0.1'),
  DB_PORT: Joi.number().integer().min(1).max(65535).default(3306),
  DB_USER: Joi.string().default('commerce'),
  DB_PASSWORD: Joi.string().allow('').default(''),
  DB_NAME: Joi.string()
    .pattern(/^[A-Za-z0-9_]+$/)
    .default('commerce'),
  DB_POOL_SIZE: Joi.number().integer().min(1).max(500).default(20),
  DB_CONNECT_TIMEOUT_MS: Joi.number().integer().min(100).max(60_000).default(3000),
  DB_ACQUIRE_TIMEOUT_MS: Joi.number().integer().min(100).max(60_000).default(3000),
  DB_STATEMENT_TIMEOUT_MS: Joi.number().integer().min(100).max(600_000).default(5000),
  DB_TRANSACTION_TIMEOUT_MS: Joi.number().integer().min(100).max(600_000).default(10_000),
  // false: a separate deploy step migrates (npm run migration:run); start-up then refuses a database with pending migrations.
  DB_MIGRATIONS_RUN: Joi.boolean().default(true),
  SQLITE_PATH: Joi.string().default('./data/dev.sqlite'),
  REDIS_URL: Joi.string()
    .uri({ scheme: ['redis', 'rediss'] })
    .default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: Joi.string().allow('').default(''),
  REDIS_CONNECT_TIMEOUT_MS: Joi.number().integer().min(100).max(60_000).default(2000),
  REDIS_COMMAND_TIMEOUT_MS: Joi.number().integer().min(50).max(60_000).default(1000),
  // Redis Sentinel: where to ask for the master named REDIS_SENTINEL_MASTER (both or neither).
  REDIS_SENTINELS: Joi.string()
    .pattern(/^[^,\s:]+:\d+(,[^,\s:]+:\d+)*$/)
    .messages({ 'string.pattern.base': '"REDIS_SENTINELS" must be a comma-separated host:port list' }),
  REDIS_SENTINEL_MASTER: Joi.string()
    .pattern(/^[A-Za-z0-9._-]+$/)
    .messages({ 'string.pattern.base': '"REDIS_SENTINEL_MASTER" must be a master name (letters, digits, ".", "_", "-")' }),
  KAFKA_BROKERS: Joi.string()
    .pattern(/^[^,\s:]+:\d+(,[^,\s:]+:\d+)*$/)
    .default('127.0.0.1:9092')
    .messages({ 'string.pattern.base': '"KAFKA_BROKERS" must be a comma-separated host:port list' }),
  KAFKA_TOPIC_PREFIX: Joi.string()
    .allow('')
    .pattern(/^[A-Za-z0-9._-]*$/)
    .default(''),
  KAFKA_CLIENT_ID: Joi.string().default('commerce'),
  KAFKA_PRODUCE_TIMEOUT_MS: Joi.number().integer().min(100).max(600_000).default(5000),
  // The broker's default group.min/max.session.timeout.ms bound it: 6 s to 30 min.
  KAFKA_SESSION_TIMEOUT_MS: Joi.number().integer().min(6000).max(1_800_000).default(30_000),
  // Of the topics the app creates; unset (or -1, Kafka's own spelling) = the broker's
  // default.replication.factor, and unset min ISR = the broker's min.insync.replicas.
  KAFKA_REPLICATION_FACTOR: Joi.number()
    .integer()
    .min(1)
    .max(32_767)
    .allow(-1)
    .messages({ 'number.min': '"KAFKA_REPLICATION_FACTOR" must be 1 or more, or -1 for the broker\'s default' }),
  // A write is acknowledged (acks=all) once this many replicas have it; more than the replicas could never be met.
  KAFKA_MIN_INSYNC_REPLICAS: Joi.number()
    .integer()
    .min(1)
    .max(32_767)
    .when('KAFKA_REPLICATION_FACTOR', {
      is: Joi.number().min(1).required(),
      then: Joi.number().max(Joi.ref('KAFKA_REPLICATION_FACTOR')).messages({
        'number.max':
          '"KAFKA_MIN_INSYNC_REPLICAS" must not exceed KAFKA_REPLICATION_FACTOR (no write to such a topic could be acknowledged)',
      }),
    }),
  JWT_SECRET: Joi.string().min(32).messages({ 'string.min': '"JWT_SECRET" must be at least 32 characters long' }),
  // A file holding the secret; created with a random one (mode 0600) when missing. The embedded
  // profile defaults it to a file beside its database, so no secret ships in the source.
  JWT_SECRET_FILE: Joi.string(),
  JWT_EXPIRES_IN: duration.default('1h'),
  OUTBOX_BATCH_SIZE: Joi.number().integer().min(1).max(10_000).default(100),
  OUTBOX_POLL_INTERVAL_MS: Joi.number().integer().min(10).max(600_000).default(1000),
  OUTBOX_RETENTION: duration.default('7d'),
  OUTBOX_MAX_ATTEMPTS: Joi.number().integer().min(1).max(1000).default(5),
  OUTBOX_RELAY_PASSES: Joi.number().integer().min(1).max(16).default(4),
  IDEMPOTENCY_RETENTION: duration.default('24h'),
  KAFKA_TOPIC_PARTITIONS: Joi.number().integer().min(1).max(1000).default(6),
  RETRY_AFTER_BUSY_SECONDS: Joi.number().integer().min(1).max(3600).default(1),
  RETRY_AFTER_UNAVAILABLE_SECONDS: Joi.number().integer().min(1).max(3600).default(2),
  // What an attacker produces, per window (docs/operations.md, "Login and sign-up limits").
  AUTH_RATE_LIMIT_FAILED_LOGINS_PER_IP: Joi.number().integer().min(1).default(100),
  AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL: Joi.number().integer().min(1).default(10),
  AUTH_RATE_LIMIT_SIGNUPS_PER_IP: Joi.number().integer().min(1).default(20),
  AUTH_RATE_LIMIT_WINDOW_SECONDS: Joi.number().integer().min(1).max(86_400).default(900),
  SEED_DEMO_DATA: Joi.boolean().truthy('1').falsy('0'),
})
  // A Sentinel is asked for a master by name.
  .and('REDIS_SENTINELS', 'REDIS_SENTINEL_MASTER')
  // The full profile has no data directory of its own to keep a generated secret in.
  .when(Joi.object({ APP_PROFILE: Joi.valid('full').required() }).unknown(), {
    then: Joi.object().or('JWT_SECRET', 'JWT_SECRET_FILE').messages({
      'object.missing': '"JWT_SECRET" or "JWT_SECRET_FILE" is required in the full profile (32 or more characters)',
    }),
  })
  // A variable whose meaning changed has a new name; a value set for the old meaning stops start-up
  // instead of being ignored.
  .custom((value: Record<string, unknown>, helpers) => {
    const replaced = Object.keys(REPLACED_VARIABLES).find((name) => value[name] !== undefined);
    return replaced ? helpers.message({ custom: `"${replaced}" was replaced by ${REPLACED_VARIABLES[replaced]}` }) : value;
  })
  .unknown(true);

// Variables for which an empty value means something (no password, no prefix).
const MAY_BE_EMPTY = new Set(['DB_PASSWORD', 'REDIS_KEY_PREFIX', 'KAFKA_TOPIC_PREFIX']);

/**
 * The one schema of the environment: the platform's variables and every slice's, with the slices'
 * rules across their variables. A slice may not reuse a variable or a settings key.
 */
export function configSchema(slices: readonly ConfigSlice[]): Joi.ObjectSchema<ValidatedEnv> {
  const variables = new Set(Object.keys(envSchema.describe().keys as object));
  for (const slice of slices) {
    for (const name of Object.keys(slice.variables)) {
      if (variables.has(name)) throw new Error(`config variable ${name} is declared twice`);
      variables.add(name);
    }
  }
  const withSlices: Joi.ObjectSchema<ValidatedEnv> = envSchema.append(
    Object.assign({}, ...slices.map((slice) => slice.variables)) as Joi.PartialSchemaMap<ValidatedEnv>,
  );
  return slices.reduce((schema, slice) => slice.rules?.(schema) ?? schema, withSlices);
}

/**
 * Validates the environment and returns the typed config: the platform's settings and, under each
 * slice's key, its settings (src/config.ts passes every module's slice). Other empty strings count
 * as unset so that `FOO=` in a .env file falls back to the default instead of failing.
 */
export function loadConfig(env: NodeJS.ProcessEnv, slices: readonly ConfigSlice[]): AppConfig {
  const value = validate(configSchema(slices), env);
  const config: Record<string, unknown> = { ...platformConfig(value) };
  for (const slice of slices) {
    if (Object.hasOwn(config, slice.key)) throw new Error(`config slice key "${slice.key}" is taken`);
    config[slice.key] = slice.settings(value);
  }
  // Whole now: each module's part of the type is its slice's settings, by the module's own declaration.
  return config as unknown as AppConfig;
}

function platformConfig(value: ValidatedEnv): PlatformConfig {
  const profile = value.APP_PROFILE;
  return {
    port: value.PORT,
    host: value.HOST,
    trustProxy: value.TRUST_PROXY,
    corsOrigins: value.CORS_ORIGINS ? String(value.CORS_ORIGINS).split(',') : [],
    profile,
    role: value.APP_ROLE,
    logLevel: value.LOG_LEVEL,
    db: dbConfig(value),
    sqlitePath: value.SQLITE_PATH,
    redis: {
      url: value.REDIS_URL,
      keyPrefix: value.REDIS_KEY_PREFIX,
      connectTimeoutMs: value.REDIS_CONNECT_TIMEOUT_MS,
      commandTimeoutMs: value.REDIS_COMMAND_TIMEOUT_MS,
      ...(value.REDIS_SENTINELS && value.REDIS_SENTINEL_MASTER
        ? { sentinel: { hosts: value.REDIS_SENTINELS.split(',').map(hostAndPort), masterName: value.REDIS_SENTINEL_MASTER } }
        : {}),
    },
    kafka: {
      brokers: value.KAFKA_BROKERS.split(','),
      topicPrefix: value.KAFKA_TOPIC_PREFIX,
      clientId: value.KAFKA_CLIENT_ID,
      produceTimeoutMs: value.KAFKA_PRODUCE_TIMEOUT_MS,
      sessionTimeoutMs: value.KAFKA_SESSION_TIMEOUT_MS,
      replicationFactor: value.KAFKA_REPLICATION_FACTOR === -1 ? undefined : value.KAFKA_REPLICATION_FACTOR,
      minInsyncReplicas: value.KAFKA_MIN_INSYNC_REPLICAS,
    },
    jwt: { secret: jwtSecret(value), expiresInSeconds: durationToSeconds(value.JWT_EXPIRES_IN) },
    authRateLimit: {
      failedLoginsPerIp: value.AUTH_RATE_LIMIT_FAILED_LOGINS_PER_IP,
      failedLoginsPerEmail: value.AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL,
      signupsPerIp: value.AUTH_RATE_LIMIT_SIGNUPS_PER_IP,
      windowSeconds: value.AUTH_RATE_LIMIT_WINDOW_SECONDS,
    },
    outbox: {
      batchSize: value.OUTBOX_BATCH_SIZE,
      pollIntervalMs: value.OUTBOX_POLL_INTERVAL_MS,
      retentionSeconds: durationToSeconds(value.OUTBOX_RETENTION),
      maxAttempts: value.OUTBOX_MAX_ATTEMPTS,
      relayPasses: value.OUTBOX_RELAY_PASSES,
    },
    idempotency: { retentionSeconds: durationToSeconds(value.IDEMPOTENCY_RETENTION) },
    kafkaTopicPartitions: value.KAFKA_TOPIC_PARTITIONS,
    retryAfter: { busySeconds: value.RETRY_AFTER_BUSY_SECONDS, unavailableSeconds: value.RETRY_AFTER_UNAVAILABLE_SECONDS },
    // A newcomer's `npm start` should show a shop with something in it; production starts empty.
    seedDemoData: value.SEED_DEMO_DATA ?? profile === 'embedded',
  };
}

/** The database part of the config. */
export type DatabaseConfig = Pick<AppConfig, 'profile' | 'db' | 'sqlitePath'>;

const DATABASE_VARIABLES = [
  'APP_PROFILE',
  'DB_HOST',
  'DB_PORT',
  'DB_USER',
  'DB_PASSWORD',
  'DB_NAME',
  'DB_POOL_SIZE',
  'DB_CONNECT_TIMEOUT_MS',
  'DB_ACQUIRE_TIMEOUT_MS',
  'DB_STATEMENT_TIMEOUT_MS',
  'DB_TRANSACTION_TIMEOUT_MS',
  'DB_MIGRATIONS_RUN',
  'SQLITE_PATH',
] as const;

// The same rules as envSchema's, for these variables only.
const databaseEnvSchema = Joi.object<ValidatedEnv>(
  Object.fromEntries(DATABASE_VARIABLES.map((name) => [name, envSchema.extract(name)])),
).unknown(true);

/**
 * The database settings alone, validated as {@link loadConfig} does: for tools that only open the
 * database (the migration commands), which need no JWT secret, Redis or Kafka settings.
 */
export function loadDatabaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const value = validate(databaseEnvSchema, env);
  return { profile: value.APP_PROFILE, db: dbConfig(value), sqlitePath: value.SQLITE_PATH };
}

function validate(schema: Joi.ObjectSchema<ValidatedEnv>, env: NodeJS.ProcessEnv): ValidatedEnv {
  const input = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => value !== undefined && (value !== '' || MAY_BE_EMPTY.has(name))),
  );
  const result = schema.validate(input, { abortEarly: true, convert: true });
  if (result.error) {
    throw new ConfigError(`Invalid configuration: ${result.error.details[0].message}`);
  }
  return result.value;
}

function dbConfig(value: ValidatedEnv): AppConfig['db'] {
  return {
    host: value.DB_HOST,
    port: value.DB_PORT,
    user: value.DB_USER,
    password: value.DB_PASSWORD,
    name: value.DB_NAME,
    poolSize: value.DB_POOL_SIZE,
    connectTimeoutMs: value.DB_CONNECT_TIMEOUT_MS,
    acquireTimeoutMs: value.DB_ACQUIRE_TIMEOUT_MS,
    statementTimeoutMs: value.DB_STATEMENT_TIMEOUT_MS,
    transactionTimeoutMs: value.DB_TRANSACTION_TIMEOUT_MS,
    migrationsRun: value.DB_MIGRATIONS_RUN,
  };
}

/**
 * JWT_SECRET wins; otherwise the secret file (JWT_SECRET_FILE, or in the embedded profile
 * `jwt-secret` beside the SQLite file). A missing file is created with a random secret, so tokens
 * survive restarts on the same data and nothing in the source can sign one.
 */
function jwtSecret(value: ValidatedEnv): string {
  if (value.JWT_SECRET) return value.JWT_SECRET;
  if (!value.JWT_SECRET_FILE && value.SQLITE_PATH === ':memory:') return randomBytes(32).toString('base64url');
  const file = value.JWT_SECRET_FILE ?? join(dirname(value.SQLITE_PATH), 'jwt-secret');
  // Written whole beside it, then linked into place (which fails if the file exists): of several
  // processes starting at once on the same file, one creates it and none reads it half written.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(draft, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new ConfigError(`Invalid configuration: cannot create the JWT secret file ${file}: ${(error as Error).message}`);
  } finally {
    rmSync(draft, { force: true });
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) throw new ConfigError(`Invalid configuration: the JWT secret in ${file} must be at least 32 characters long`);
  return secret;
}

function hostAndPort(entry: string): { host: string; port: number } {
  const at = entry.lastIndexOf(':');
  return { host: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
}

function durationToSeconds(text: string): number {
  const unit = text.at(-1)!;
  const factor = { s: 1, m: 60, h: 3600, d: 86400 }[unit];
  return factor ? Number(text.slice(0, -1)) * factor : Number(text);
}
