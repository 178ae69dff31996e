import { driverErrorOf } from '../database/errors';

export type Dependency = 'mysql' | 'redis' | 'kafka';

/**
 * A dependency did not answer within its budget, refused, or dropped the connection. Thrown by
 * the budgets of each client (database pool, statements, transactions, lock, publish); the
 * problem filter answers it as 503 like any other error {@link unavailableDependency} recognises.
 */
export class DependencyUnavailableError extends Error {
  override name = 'DependencyUnavailableError';

  constructor(
    readonly dependency: Dependency,
    message: string,
    readonly code = 'DEPENDENCY_TIMEOUT',
  ) {
    super(message);
  }
}

// Socket-level failures as Node and mysql2 report them (refused, reset, timed out, closed).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'DEPENDENCY_TIMEOUT',
]);

// ioredis reports an unreachable or silent server with these messages (it has no error classes for them);
// Redis itself answers READONLY (a master demoted by a Sentinel failover, before the client moves on),
// MASTERDOWN (a replica cut off from its master) and LOADING (a server reading its data at start-up).
const REDIS_MESSAGES = [
  /^Command timed out$/,
  /^Stream isn't writeable/,
  /^Connection is closed\.?$/,
  /^Reached the max retries per request/,
  /^(READONLY|MASTERDOWN|LOADING) /,
];

/**
 * The one mapping from "a dependency is unavailable" to its name, or undefined for any other
 * error. Client errors of the engines themselves (a duplicate key, a syntax error) are not
 * unavailability and stay undefined.
 */
export function unavailableDependency(error: unknown): Dependency | undefined {
  // Duck-typed: Node's socket errors may come from another realm (a vm context), failing instanceof.
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string') return undefined;
  if (error instanceof DependencyUnavailableError) return error.dependency;
  const driverError = driverErrorOf(error);
  if (driverError) return isMysqlConnectionFailure(driverError) ? 'mysql' : undefined;
  const { name = '', message } = error as Error;
  if (name === 'LockUnavailableError' || name === 'MaxRetriesPerRequestError') return 'redis';
  if (REDIS_MESSAGES.some((pattern) => pattern.test(message))) return 'redis';
  if (String(name).startsWith('KafkaJS')) return 'kafka';
  // mysql2 errors raised while acquiring or opening a pooled connection reach callers unwrapped.
  if (isMysqlConnectionFailure(error) || message === 'Pool is closed.') return 'mysql';
  return undefined;
}

function isMysqlConnectionFailure(error: unknown): boolean {
  const { code, fatal } = (error ?? {}) as { code?: unknown; fatal?: unknown };
  // mysql2 marks every error that ends the connection `fatal`.
  return fatal === true || (typeof code === 'string' && NETWORK_CODES.has(code));
}
