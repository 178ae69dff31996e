import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import { Table } from '../database/table';
import { IdempotencyKey } from './idempotency-key.entity';

const KEYS = new Table(IdempotencyKey);

/** All SQL of `idempotency_keys`, through `Sql` (in the caller's transaction when there is one). */
@Injectable()
export class IdempotencyKeyRepository {
  constructor(private readonly sql: Sql) {}

  /** Writes a claim; a claim of the same user and key fails as a unique violation (`isUniqueViolation`). */
  async insert(claim: IdempotencyKey): Promise<void> {
    const { statement, params } = KEYS.insert([claim]);
    await this.sql.run(statement, params);
  }

  async find(userId: number, key: string): Promise<IdempotencyKey | undefined> {
    const { rows } = await this.sql.run(`SELECT ${KEYS.columns} FROM idempotency_keys WHERE user_id = ? AND idempotency_key = ?`, [
      userId,
      key,
    ]);
    return rows.length ? KEYS.read(rows[0]) : undefined;
  }

  /** Stores the answer of the claim's request. */
  async complete(userId: number, key: string, status: number, body: string): Promise<void> {
    await this.sql.run(
      "UPDATE idempotency_keys SET state = 'DONE', response_status = ?, response_body = ? WHERE user_id = ? AND idempotency_key = ?",
      [status, body, userId, key],
    );
  }

  /** Deletes this exact claim (by its creation time): a newer one taken meanwhile stays. */
  async deleteClaim(userId: number, key: string, createdAt: Date): Promise<void> {
    await this.sql.run('DELETE FROM idempotency_keys WHERE user_id = ? AND idempotency_key = ? AND created_at = ?', [
      userId,
      key,
      createdAt,
    ]);
  }

  /** Deletes the claim if it has no answer stored. */
  async deleteUnanswered(userId: number, key: string): Promise<void> {
    await this.sql.run("DELETE FROM idempotency_keys WHERE user_id = ? AND idempotency_key = ? AND state = 'IN_PROGRESS'", [userId, key]);
  }

  async deleteExpired(now: Date): Promise<void> {
    await this.sql.run('DELETE FROM idempotency_keys WHERE expires_at < ?', [now]);
  }
}
