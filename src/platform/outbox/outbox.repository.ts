import { Injectable } from '@nestjs/common';
import { dateOf, placeholders, Sql } from '../database/sql';
import { SqlDialect } from '../database/sql-dialect';
import type { OutboxStatus } from './outbox-event.entity';

/** A recorded event as the writer hands it over. */
export interface NewOutboxEvent {
  eventId: string;
  eventType: string;
  topic: string;
  messageKey: string;
  payload: string;
  headers: string;
  occurredAt: Date;
}

/** What a relay pass needs of a claimed row. */
export interface ClaimedEvent extends Omit<NewOutboxEvent, 'occurredAt'> {
  id: number;
  attempts: number;
}

interface ClaimedRow {
  id: number | string;
  event_id: string;
  event_type: string;
  topic: string;
  message_key: string;
  payload: string;
  headers: string;
  attempts: number | string;
}

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
    await this.sql.run(
      `INSERT INTO outbox_events (event_id, event_type, topic, message_key, payload, headers, status, attempts, last_error, occurred_at, sent_at)
       VALUES (?, ?, ?, ?, ?, ?, 'PENDING', 0, NULL, ?, NULL)`,
      [event.eventId, event.eventType, event.topic, event.messageKey, event.payload, event.headers, event.occurredAt],
    );
  }

  /**
   * Up to `limit` PENDING rows in recorded order, locked for this transaction. A row waits while an
   * earlier PENDING row has its key, which keeps per-key order even when another relay holds that
   * earlier row; rows another relay holds are skipped where the engine can (SKIP LOCKED).
   */
  async claimPending(limit: number): Promise<ClaimedEvent[]> {
    const { rows } = await this.sql.run<ClaimedRow>(
      `SELECT e.id, e.event_id, e.event_type, e.topic, e.message_key, e.payload, e.headers, e.attempts
         FROM outbox_events e
        WHERE e.status = 'PENDING'
          AND NOT EXISTS (SELECT 1 FROM outbox_events p
                           WHERE p.message_key = e.message_key AND p.status = 'PENDING' AND p.id < e.id)
        ORDER BY e.id LIMIT ?${this.dialect.claimRowsClause}`,
      [limit],
    );
    return rows.map((row) => ({
      id: Number(row.id),
      eventId: row.event_id,
      eventType: row.event_type,
      topic: row.topic,
      messageKey: row.message_key,
      payload: row.payload,
      headers: row.headers,
      attempts: Number(row.attempts),
    }));
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
    const { rows } = await this.sql.run<{ pending: number | string }>(
      `SELECT COUNT(*) AS pending FROM outbox_events WHERE status = 'PENDING'`,
    );
    return Number(rows[0]?.pending ?? 0);
  }

  /** When the oldest PENDING event was recorded, or undefined when none waits. */
  async oldestPendingAt(): Promise<Date | undefined> {
    const { rows } = await this.sql.run<{ occurred_at: Date | string }>(
      `SELECT occurred_at FROM outbox_events WHERE status = 'PENDING' ORDER BY id LIMIT 1`,
    );
    return rows.length ? dateOf(rows[0].occurred_at) : undefined;
  }
}
