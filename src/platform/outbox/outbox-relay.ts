import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { In, LessThan } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner';
import { DependencyUnavailableError } from '../http/dependency-errors';
import { MessageBus, OutgoingMessage } from '../messaging/message-bus';
import { relayBackoffMs } from './backoff';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxSignal } from './outbox-signal';

export const OUTBOX_BATCH_SIZE = 100;

/** What a pass needs of a claimed row. */
type ClaimedEvent = Pick<OutboxEvent, 'id' | 'eventId' | 'eventType' | 'topic' | 'messageKey' | 'payload' | 'headers' | 'attempts'>;
/** Publishing attempts that failed for the event itself (not for a broker outage) before DEAD. */
export const OUTBOX_MAX_ATTEMPTS = 5;
const POLL_INTERVAL_MS = 1_000;
/**
 * Passes run at once on MySQL: while one waits for Kafka's acknowledgement, the next claims what
 * was committed meanwhile, so an event does not wait for a whole pass before its own starts.
 * SQLite runs one (its transactions are serialised anyway).
 */
const MYSQL_CONCURRENT_PASSES = 2;
const RETENTION_MS = 7 * 24 * 3600 * 1000;
const PURGE_EVERY_MS = 10 * 60 * 1000;

/**
 * Publishes recorded events. Each pass claims up to a batch of PENDING rows in a transaction,
 * publishes them (the bus resolves once the broker acknowledged), marks them SENT and commits.
 * A crash between publish and commit republishes: delivery is at least once, consumers dedupe.
 * - Several relays: MySQL claims with FOR UPDATE SKIP LOCKED, and a row is only claimed when no
 *   earlier PENDING row has its key, so events of one order are published in recorded order.
 * - Broker down: the pass rolls back and the loop backs off (capped, with jitter); orders go on.
 * - A row that fails on its own (too large, rejected) counts attempts and becomes DEAD.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private running = false;
  private loops: Array<Promise<void>> = [];
  private consecutiveFailures = 0;
  private lastPurge = 0;
  private isMysql = false;

  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly transactions: TransactionRunner,
    private readonly bus: MessageBus,
    private readonly signal: OutboxSignal,
    private readonly metrics: OutboxMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.isMysql = this.txHost.tx.connection.options.type === 'mysql';
    this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.isMysql ? MYSQL_CONCURRENT_PASSES : 1 }, () => this.runLoop());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.signal.notify();
    await Promise.all(this.loops);
  }

  private async runLoop(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.relayOnce();
        this.consecutiveFailures = 0;
        await this.purgeIfDue();
      } catch (error) {
        this.consecutiveFailures++;
        const delay = relayBackoffMs(this.consecutiveFailures);
        this.logger.warn(`relay pass failed (${this.consecutiveFailures} in a row), retrying in ${delay} ms: ${(error as Error).message}`);
        await this.signal.wait(delay);
        continue;
      }
      if (claimed < OUTBOX_BATCH_SIZE) await this.signal.wait(POLL_INTERVAL_MS);
    }
  }

  /** One pass: claim, publish, mark. Returns how many rows it claimed. */
  async relayOnce(): Promise<number> {
    return this.transactions.run(
      async () => {
        const rows = await this.claim();
        if (rows.length === 0) return 0;
        try {
          await this.bus.publish(rows.map(toMessage));
          await this.markSent(rows);
        } catch (error) {
          if (isBrokerUnavailable(error)) throw error;
          await this.publishOneByOne(rows);
        }
        return rows.length;
      },
      // No gap locks on MySQL: a relay waiting on Kafka never blocks new orders' inserts.
      this.isMysql ? { isolationLevel: 'READ COMMITTED' } : {},
    );
  }

  private async claim(): Promise<ClaimedEvent[]> {
    // Rows behind an earlier PENDING row of the same key wait, which keeps per-order order even
    // when another relay holds that earlier row. SKIP LOCKED lets relays share the backlog.
    const rows: ClaimedEvent[] = await this.txHost.tx.query(
      `SELECT e.id, e.event_id AS eventId, e.event_type AS eventType, e.topic, e.message_key AS messageKey,
              e.payload, e.headers, e.attempts
         FROM outbox_events e
        WHERE e.status = 'PENDING'
          AND NOT EXISTS (SELECT 1 FROM outbox_events p
                           WHERE p.message_key = e.message_key AND p.status = 'PENDING' AND p.id < e.id)
        ORDER BY e.id LIMIT ${OUTBOX_BATCH_SIZE}${this.isMysql ? ' FOR UPDATE SKIP LOCKED' : ''}`,
    );
    return rows.map((row) => ({ ...row, id: Number(row.id), attempts: Number(row.attempts) }));
  }

  private async markSent(rows: ClaimedEvent[]): Promise<void> {
    await this.txHost.tx
      .getRepository(OutboxEvent)
      .update({ id: In(rows.map((row) => row.id)) }, { status: 'SENT', sentAt: new Date(), lastError: null });
    this.metrics.published.inc(rows.length);
  }

  /** Finds the rows that fail on their own; later rows of a failing row's key wait for it. */
  private async publishOneByOne(rows: ClaimedEvent[]): Promise<void> {
    const blockedKeys = new Set<string>();
    for (const row of rows) {
      if (blockedKeys.has(row.messageKey)) continue;
      try {
        await this.bus.publish([toMessage(row)]);
        await this.markSent([row]);
      } catch (error) {
        if (isBrokerUnavailable(error)) throw error;
        blockedKeys.add(row.messageKey);
        await this.recordFailure(row, error as Error);
      }
    }
  }

  private async recordFailure(row: ClaimedEvent, error: Error): Promise<void> {
    const attempts = row.attempts + 1;
    const dead = attempts >= OUTBOX_MAX_ATTEMPTS;
    await this.txHost.tx
      .getRepository(OutboxEvent)
      .update({ id: row.id }, { attempts, lastError: error.message.slice(0, 2000), status: dead ? 'DEAD' : 'PENDING' });
    this.metrics.failed.inc();
    if (dead) {
      this.metrics.dead.inc();
      this.logger.error(
        `outbox event ${row.eventId} (${row.eventType}, key ${row.messageKey}) is DEAD after ${attempts} attempts: ${error.message}`,
      );
    }
  }

  private async purgeIfDue(): Promise<void> {
    if (Date.now() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = Date.now();
    await this.transactions.run(() =>
      this.txHost.tx.getRepository(OutboxEvent).delete({ status: 'SENT', sentAt: LessThan(new Date(Date.now() - RETENTION_MS)) }),
    );
  }
}

function toMessage(row: ClaimedEvent): OutgoingMessage {
  return {
    topic: row.topic,
    key: row.messageKey,
    value: JSON.parse(row.payload) as unknown,
    headers: JSON.parse(row.headers) as Record<string, string>,
  };
}

/**
 * True when the broker as a whole cannot be reached, as opposed to this message being refused.
 * The bus's own "not acknowledged within KAFKA_PRODUCE_TIMEOUT_MS" is an outage too: against a
 * stopped broker kafkajs gives up only after about 7 s, so that timeout is what the relay sees first.
 */
export function isBrokerUnavailable(error: unknown): boolean {
  if (error instanceof DependencyUnavailableError && error.dependency === 'kafka') return true;
  const names = [
    'KafkaJSConnectionError',
    'KafkaJSBrokerNotFound',
    'KafkaJSRequestTimeoutError',
    'KafkaJSConnectionClosedError',
    'KafkaJSLockTimeout',
  ];
  for (let current = error as { name?: string; cause?: unknown; originalError?: unknown } | undefined; current;) {
    if (current.name && names.includes(current.name)) return true;
    if (current.name === 'KafkaJSNumberOfRetriesExceeded' && !current.cause && !current.originalError) return true;
    current = (current.cause ?? current.originalError) as typeof current;
  }
  return false;
}
