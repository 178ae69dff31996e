import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

export type OutboxStatus = 'PENDING' | 'SENT' | 'DEAD';

/** One event recorded in the transaction of the state change it describes. */
@Entity('outbox_events')
// The name the CommerceCore migration's `isUnique` column gave this constraint.
@Unique('UQ_a82c439f9dab57e098be1d83291', ['eventId'])
@Index('ix_outbox_events_status_id', ['status', 'id'])
@Index('ix_outbox_events_key_status_id', ['messageKey', 'status', 'id'])
export class OutboxEvent {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'event_id', type: 'varchar', length: 36 })
  eventId!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 100 })
  eventType!: string;

  @Column({ type: 'varchar', length: 200 })
  topic!: string;

  @Column({ name: 'message_key', type: 'varchar', length: 200 })
  messageKey!: string;

  @Column({ type: 'text' })
  payload!: string;

  @Column({ type: 'text' })
  headers!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: OutboxStatus;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'occurred_at', type: 'datetime', precision: 3 })
  occurredAt!: Date;

  @Column({ name: 'sent_at', type: 'datetime', precision: 3, nullable: true })
  sentAt!: Date | null;
}
