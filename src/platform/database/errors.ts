import { QueryFailedError } from 'typeorm';

/** The driver's own error under a failed statement (its `code`), or undefined for any other error. */
export function driverErrorOf(error: unknown): { code?: string } | undefined {
  return error instanceof QueryFailedError ? (error.driverError as { code?: string }) : undefined;
}

/** A unique or primary key rejected the row (MySQL/MariaDB or SQLite). */
export function isUniqueViolation(error: unknown): boolean {
  const code = driverErrorOf(error)?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
