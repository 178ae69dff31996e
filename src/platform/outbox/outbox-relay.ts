import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, runsBackgroundWork } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { TransactionRunner } from '../database/transaction-runner';
import { DependencyUnavailableError } from '../http/dependency-errors';
import { MessageBus, OutgoingMessage } from '../messaging/message-bus';
import { relayBackoffMs } from './backoff';
import { OutboxMetrics } from './outbox-metrics';
import { ClaimedEvent, OutboxRepository } from './outbox.repository';
import { OutboxSignal } from './outbox-signal';
import { untraced } from '../observability/tracing';

const PURGE_EVERY_MS = 10 * 60 * 1000;

/**
 * Publishes recorded events. Each pass claims up to OUTBOX_BATCH_SIZE PENDING rows in a
 * transaction, publishes them (the bus resolves once the broker acknowledged), marks them SENT and
 * commits. A crash between publish and commit republishes: delivery is at least once, consumers dedupe.
 * - Several relays: MySQL claims with FOR UPDATE SKIP LOCKED, and a row is only claimed when no
 *   earlier PENDING row has its key, so events of one order are published in recorded order.
 * - Broker down: the pass rolls back and the loop backs off (capped, with jitter); orders go on.
 * - A row that fails on its own (too large, rejected) counts attempts and becomes DEAD after
 *   OUTBOX_MAX_ATTEMPTS.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private running = false;
  private loops: Array<Promise<void>> = [];
  private consecutiveFailures = 0;
  private lastPurge = 0;
  private readonly settings: AppConfig['outbox'];
  private readonly enabled: boolean;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly transactions: TransactionRunner,
    private readonly bus: MessageBus,
    private readonly signal: OutboxSignal,
    private readonly metrics: OutboxMetrics,
    @InjectAppConfig() config: AppConfig,
  ) {
    this.settings = config.outbox;
    this.enabled = runsBackgroundWork(config);
  }

  onApplicationBootstrap(): void {
    // APP_ROLE=api records events and leaves publishing them to the worker processes.
    if (this.enabled) this.start();
    else this.logger.log('not started: APP_ROLE=api (a worker process publishes the events recorded here)');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // OUTBOX_RELAY_PASSES run at once where the engine has concurrent transactions: while one waits
    // for Kafka's acknowledgement, the next claims what was committed meanwhile, so an event does not
    // wait for a whole pass before its own starts. SQLite runs one (its transactions are serialised).
    const passes = this.transactions.concurrent ? this.settings.relayPasses : 1;
    // A pass's own SQL is not traced: each event's send continues the trace it was recorded in.
    this.loops = Array.from({ length: passes }, () => untraced(() => this.runLoop()));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.signal.wakeAll();
    await Promise.all(this.loops);
  }

  private async runLoop(): Promise<void> {
    while (this.running) {
      let claimed: number;
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
      if (claimed < this.settings.batchSize) await this.signal.wait(this.settings.pollIntervalMs);
    }
  }

  /** One pass: claim, publish, mark. Returns how many rows it claimed. */
  async relayOnce(): Promise<number> {
    return this.transactions.run(
      async () => {
        const rows = await this.outbox.claimPending(this.settings.batchSize);
        if (rows.length === 0) return 0;
        try {
          await this.bus.publish(rows.map(toMessage));
          await this.markSent(rows);
        } catch (error) {
          if (isBrokerUnavailable(error)) throw error;
          await this.publishOneByOne(rows);
        }
        return rows.length;
        // On the background pool: never waiting behind requests for a connection, and READ
        // COMMITTED, so a pass waiting on Kafka never blocks new orders' inserts with gap locks.
      },
      { background: true },
    );
  }

  private async markSent(rows: ClaimedEvent[]): Promise<void> {
    await this.outbox.markSent(
      rows.map((row) => row.id),
      new Date(),
    );
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
    const dead = attempts >= this.settings.maxAttempts;
    await this.outbox.recordFailure(row.id, attempts, error.message.slice(0, 2000), dead ? 'DEAD' : 'PENDING');
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
    const before = new Date(Date.now() - this.settings.retentionSeconds * 1000);
    await this.transactions.runStatement(() => this.outbox.purgeSentBefore(before));
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

// What a cluster answers while it cannot take writes for a partition (a leader moving or away,
// fewer in-sync replicas than KAFKA_MIN_INSYNC_REPLICAS): the cluster's state, not the event's fault.
// Around a broker's crash or restart, too: a broker whose metadata lags answers that it does not host
// the partition (the bus then checks the topic again), and a topic cannot be created with more
// replicas than live brokers (a misconfigured replication factor is no event's fault either).
const CLUSTER_STATES = new Set([
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'REPLICA_NOT_AVAILABLE',
  'BROKER_NOT_AVAILABLE',
  'REQUEST_TIMED_OUT',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'INVALID_REPLICATION_FACTOR',
  'NOT_CONTROLLER',
]);

/**
 * True when the broker as a whole cannot be reached, as opposed to this message being refused.
 * The bus's own "not acknowledged within KAFKA_PRODUCE_TIMEOUT_MS" is an outage too: against a
 * stopped broker kafkajs gives up only after about 7 s, so that timeout is what the relay sees first.
 * So is a cluster that cannot take the write now (no leader, too few in-sync replicas), should
 * kafkajs's retries give up before that timeout.
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
  for (
    let current = error as { name?: string; type?: string; cause?: unknown; originalError?: unknown; errors?: unknown[] } | undefined;
    current;
  ) {
    if (current.name && names.includes(current.name)) return true;
    if (current.name === 'KafkaJSProtocolError' && current.type && CLUSTER_STATES.has(current.type)) return true;
    // Topic creation's errors, one per topic (KafkaJSCreateTopicError, a protocol error): all cluster states.
    if (current.name === 'KafkaJSAggregateError' && current.errors?.length)
      return current.errors.every((inner) => CLUSTER_STATES.has((inner as { type?: string }).type ?? ''));
    if (current.name === 'KafkaJSNumberOfRetriesExceeded' && !current.cause && !current.originalError) return true;
    current = (current.cause ?? current.originalError) as typeof current;
  }
  return false;
}
