import { Injectable } from '@nestjs/common';
import { dateOf, placeholders, Sql } from '../database/sql';
import { SqlDialect } from '../database/sql-dialect';
import { Table } from '../database/table';
import { OutboxEvent as StoredEvent, type OutboxStatus } from './outbox-event.entity';

const EVENTS = new Table(StoredEvent);
const CLAIMED = EVENTS.pick('id', 'eventId', 'eventType', 'topic', 'messageKey', 'payload', 'headers', 'attempts');

/** A recorded event as the writer hands it over. */
export type NewOutboxEvent = Pick<StoredEvent, 'eventId' | 'eventType' | 'topic' | 'messageKey' | 'payload' | 'headers' | 'occurredAt'>;

/** What a relay pass needs of a claimed row. */
export type ClaimedEvent = ReturnType<typeof CLAIMED.read>;

/**
 * All SQL of `outbox_events`, plain statements through `Sql`: the insert runs in every payment and
 * cancellation, the claim and marks in every relay pass.
 */
@Injectable()
export class OutboxRepository {
  constructor(
    private readonly sql: Sql,
    private readonly dialect: SqlDialect,
  ) {}

  async insert(event: NewOutboxEvent): Promise<void> {
    const { statement, params } = EVENTS.insert([{ ...event, status: 'PENDING', attempts: 0 }]);
    await this.sql.run(statement, params);
  }

  /**
   * Up to `limit` PENDING rows in recorded order, locked for this transaction. A row waits while an
   * earlier PENDING row has its key, which keeps per-key order even when another relay holds that
   * earlier row; rows another relay holds are skipped where the engine can (SKIP LOCKED).
   */
  async claimPending(limit: number): Promise<ClaimedEvent[]> {
    const { rows } = await this.sql.run(
      `SELECT ${CLAIMED.columns}
         FROM outbox_events e
        WHERE e.status = 'PENDING'
          AND NOT EXISTS (SELECT 1 FROM outbox_events p
                           WHERE p.message_key = e.message_key AND p.status = 'PENDING' AND p.id < e.id)
        ORDER BY e.id LIMIT ?${this.dialect.claimRowsClause}`,
      [limit],
    );
    return rows.map((row) => CLAIMED.read(row));
  }

  async markSent(ids: number[], at: Date): Promise<void> {
    await this.sql.run(
      `UPDATE outbox_events SET status = 'SENT', sent_at = ?, last_error = NULL WHERE id IN (${placeholders(ids.length)})`,
      [at, ...ids],
    );
  }

  async recordFailure(id: number, attempts: number, lastError: string, status: OutboxStatus): Promise<void> {
    await this.sql.run('UPDATE outbox_events SET attempts = ?, last_error = ?, status = ? WHERE id = ?', [attempts, lastError, status, id]);
  }

  /** Deletes SENT rows sent before `before`; returns how many. */
  async purgeSentBefore(before: Date): Promise<number> {
    const { affected } = await this.sql.run(`DELETE FROM outbox_events WHERE status = 'SENT' AND sent_at < ?`, [before]);
    return affected;
  }

  async countPending(): Promise<number> {
    return this.sql.count(`outbox_events WHERE status = 'PENDING'`);
  }

  /** When the oldest PENDING event was recorded, or undefined when none waits. */
  async oldestPendingAt(): Promise<Date | undefined> {
    const { rows } = await this.sql.run<{ occurred_at: Date | string }>(
      `SELECT occurred_at FROM outbox_events WHERE status = 'PENDING' ORDER BY id LIMIT 1`,
    );
    return rows.length ? dateOf(rows[0].occurred_at) : undefined;
  }
}
