import * as Joi from 'joi';

export type AppProfile = 'embedded' | 'full';
export type CouponIssueStrategy = 'lock' | 'queue';

/** The validated, typed configuration. Built once from the environment by {@link loadAppConfig}. */
export interface AppConfig {
  port: number;
  profile: AppProfile;
  logLevel: string;
  db: {
    host: string;
    port: number;
    user: string;
    password: string;
    name: string;
    poolSize: number;
  };
  sqlitePath: string;
  redis: { url: string; keyPrefix: string };
  kafka: { brokers: string[]; topicPrefix: string; clientId: string };
  coupon: { issueStrategy: CouponIssueStrategy; lockTtlMs: number; lockWaitMs: number; consumerEnabled: boolean };
  jwt: { secret: string; expiresInSeconds: number };
  admin: { email?: string; password?: string };
  order: { pendingTtlSeconds: number };
  seedDemoData: boolean;
}

/** Thrown when the environment is invalid; its message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

// Only for the embedded profile, where a newcomer runs with no .env at all.
const EMBEDDED_DEV_JWT_SECRET = 'embedded-profile-development-secret-do-not-use-in-production';

const duration = Joi.string()
  .pattern(/^\d+[smhd]?$/)
  .messages({
    'string.pattern.base': '"{#label}" must be a number of seconds or a duration like 15m, 1h, 7d',
  });

/** The environment once validated: defaults applied, numbers and booleans converted. */
interface ValidatedEnv {
  PORT: number;
  APP_PROFILE: AppProfile;
  LOG_LEVEL: string;
  DB_HOST: string;
  DB_PORT: number;
  DB_USER: string;
  DB_PASSWORD: string;
  DB_NAME: string;
  DB_POOL_SIZE: number;
  SQLITE_PATH: string;
  REDIS_URL: string;
  REDIS_KEY_PREFIX: string;
  KAFKA_BROKERS: string;
  KAFKA_TOPIC_PREFIX: string;
  KAFKA_CLIENT_ID: string;
  COUPON_ISSUE_STRATEGY: CouponIssueStrategy;
  COUPON_LOCK_TTL_MS: number;
  COUPON_LOCK_WAIT_MS: number;
  COUPON_ISSUE_CONSUMER_ENABLED: boolean;
  JWT_SECRET: string;
  JWT_EXPIRES_IN: string;
  ADMIN_EMAIL?: string;
  ADMIN_PASSWORD?: string;
  ORDER_PENDING_TTL_SECONDS: number;
  SEED_DEMO_DATA?: boolean;
}

/** Every variable of the contract's Configuration table, plus a few operational ones (see .env.example). */
export const envSchema = Joi.object<ValidatedEnv>({
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  APP_PROFILE: Joi.string().valid('embedded', 'full').default('embedded'),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
  DB_HOST: Joi.string().default('127.0.0.1'),
  DB_PORT: Joi.number().integer().min(1).max(65535).default(3306),
  DB_USER: Joi.string().default('commerce'),
  DB_PASSWORD: Joi.string().allow('').default('commerce'),
  DB_NAME: Joi.string()
    .pattern(/^[A-Za-z0-9_]+$/)
    .default('commerce'),
  DB_POOL_SIZE: Joi.number().integer().min(1).max(500).default(20),
  SQLITE_PATH: Joi.string().default('./data/dev.sqlite'),
  REDIS_URL: Joi.string()
    .uri({ scheme: ['redis', 'rediss'] })
    .default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: Joi.string().allow('').default(''),
  KAFKA_BROKERS: Joi.string()
    .pattern(/^[^,\s:]+:\d+(,[^,\s:]+:\d+)*$/)
    .default('127.0.0.1:9092')
    .messages({ 'string.pattern.base': '"KAFKA_BROKERS" must be a comma-separated host:port list' }),
  KAFKA_TOPIC_PREFIX: Joi.string()
    .allow('')
    .pattern(/^[A-Za-z0-9._-]*$/)
    .default(''),
  KAFKA_CLIENT_ID: Joi.string().default('commerce'),
  COUPON_ISSUE_STRATEGY: Joi.string().valid('lock', 'queue').default('lock'),
  COUPON_LOCK_TTL_MS: Joi.number().integer().min(100).max(60_000).default(3000),
  COUPON_LOCK_WAIT_MS: Joi.number().integer().min(0).max(60_000).default(2000),
  COUPON_ISSUE_CONSUMER_ENABLED: Joi.boolean().default(true),
  JWT_SECRET: Joi.when('APP_PROFILE', {
    is: 'full',
    then: Joi.string().min(32).required().messages({
      'any.required': '"JWT_SECRET" is required in the full profile (32 or more characters)',
      'string.min': '"JWT_SECRET" must be at least 32 characters long in the full profile',
    }),
    otherwise: Joi.string().min(1).default(EMBEDDED_DEV_JWT_SECRET),
  }),
  JWT_EXPIRES_IN: duration.default('1h'),
  ADMIN_EMAIL: Joi.string().email({ tlds: false }),
  ADMIN_PASSWORD: Joi.string().min(8).max(72),
  ORDER_PENDING_TTL_SECONDS: Joi.number().integer().min(1).default(900),
  SEED_DEMO_DATA: Joi.boolean().truthy('1').falsy('0'),
})
  // Admin credentials only make sense together.
  .and('ADMIN_EMAIL', 'ADMIN_PASSWORD')
  .unknown(true);

// Variables for which an empty value means something (no password, no prefix).
const MAY_BE_EMPTY = new Set(['DB_PASSWORD', 'REDIS_KEY_PREFIX', 'KAFKA_TOPIC_PREFIX']);

/**
 * Validates the environment and returns the typed config. Other empty strings count as unset so
 * that `FOO=` in a .env file falls back to the default instead of failing.
 */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const input = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => value !== undefined && (value !== '' || MAY_BE_EMPTY.has(name))),
  );
  const result = envSchema.validate(input, { abortEarly: true, convert: true });
  if (result.error) {
    throw new ConfigError(`Invalid configuration: ${result.error.details[0].message}`);
  }
  const value = result.value;
  const profile = value.APP_PROFILE;
  return {
    port: value.PORT,
    profile,
    logLevel: value.LOG_LEVEL,
    db: {
      host: value.DB_HOST,
      port: value.DB_PORT,
      user: value.DB_USER,
      password: value.DB_PASSWORD,
      name: value.DB_NAME,
      poolSize: value.DB_POOL_SIZE,
    },
    sqlitePath: value.SQLITE_PATH,
    redis: { url: value.REDIS_URL, keyPrefix: value.REDIS_KEY_PREFIX },
    kafka: {
      brokers: value.KAFKA_BROKERS.split(','),
      topicPrefix: value.KAFKA_TOPIC_PREFIX,
      clientId: value.KAFKA_CLIENT_ID,
    },
    coupon: {
      issueStrategy: value.COUPON_ISSUE_STRATEGY,
      lockTtlMs: value.COUPON_LOCK_TTL_MS,
      lockWaitMs: value.COUPON_LOCK_WAIT_MS,
      consumerEnabled: value.COUPON_ISSUE_CONSUMER_ENABLED,
    },
    jwt: { secret: value.JWT_SECRET, expiresInSeconds: durationToSeconds(value.JWT_EXPIRES_IN) },
    admin: { email: value.ADMIN_EMAIL, password: value.ADMIN_PASSWORD },
    order: { pendingTtlSeconds: value.ORDER_PENDING_TTL_SECONDS },
    // A newcomer's `npm start` should show a shop with something in it; production starts empty.
    seedDemoData: value.SEED_DEMO_DATA ?? profile === 'embedded',
  };
}

function durationToSeconds(text: string): number {
  const unit = text.at(-1)!;
  const factor = { s: 1, m: 60, h: 3600, d: 86400 }[unit];
  return factor ? Number(text.slice(0, -1)) * factor : Number(text);
}
