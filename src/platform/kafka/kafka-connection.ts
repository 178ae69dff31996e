import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Admin, ITopicConfig, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { InjectAppConfig } from '../config/config.module';
import { AppConfig } from '../config/app-config';
import { fixKafkajsDeadCoordinator } from './kafkajs-dead-coordinator-fix';
import { fixKafkajsRemovedBrokers } from './kafkajs-removed-broker-fix';
import { fixKafkajsRequestQueue } from './kafkajs-request-queue-fix';
import { recordingPartitioner } from './kafkajs-unsent-partition-fix';

/** How a kafkajs log entry is logged here (kafkajs logs routine events at ERROR). */
export function kafkaLogSeverity(level: logLevel, message: string, error?: unknown): 'error' | 'warn' | 'debug' | 'skip' {
  // Bounded producer retries are deliberate: callers must learn of an outage (503, outbox retry).
  if (message.startsWith('Limiting retries for the idempotent producer')) return 'skip';
  // A consumer-group rebalance (an instance joined or left) is routine, not an error.
  const reason = typeof error === 'string' ? error : error instanceof Error ? error.message : '';
  if (/rebalanc/i.test(`${message} ${reason}`)) return 'debug';
  return level <= logLevel.ERROR ? 'error' : 'warn';
}

/**
 * Owns the kafkajs client, the one shared producer and the admin client of the full profile.
 * Topic names given to it are logical (`order.completed`); the prefix is applied here only.
 */
@Injectable()
export class KafkaConnection implements OnApplicationShutdown {
  private readonly logger = new Logger('Kafka');
  readonly kafka: Kafka;
  private producer?: Promise<Producer>;
  private admin?: Promise<Admin>;
  /** Existing topics whose replica count was compared with KAFKA_REPLICATION_FACTOR (once each). */
  private readonly replicationChecked = new Set<string>();

  constructor(@InjectAppConfig() private readonly config: AppConfig) {
    // Before any client exists: kafkajs would otherwise wake every millisecond on each connection.
    fixKafkajsRequestQueue();
    // And a consumer that lived through a broker restart would leave a socket open after disconnect.
    fixKafkajsRemovedBrokers();
    // And a consumer whose group coordinator died would keep calling it until its retries ran out.
    fixKafkajsDeadCoordinator();
    this.kafka = new Kafka({
      clientId: config.kafka.clientId,
      brokers: config.kafka.brokers,
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ namespace, level, label, log }) => {
          const { message, ...extra } = log;
          const text = `${namespace}: ${message}`;
          const severity = kafkaLogSeverity(level, message, extra.error);
          if (severity !== 'skip') this.logger[severity]({ ...extra, kafkaLevel: label }, text);
        },
    });
  }

  /** How long a publish may wait for the broker's acknowledgement (KAFKA_PRODUCE_TIMEOUT_MS). */
  get produceTimeoutMs(): number {
    return this.config.kafka.produceTimeoutMs;
  }

  /** How long a consumer may go without a heartbeat before its group moves on (KAFKA_SESSION_TIMEOUT_MS). */
  get sessionTimeoutMs(): number {
    return this.config.kafka.sessionTimeoutMs;
  }

  topic(logicalName: string): string {
    return `${this.config.kafka.topicPrefix}${logicalName}`;
  }

  /**
   * The shared idempotent producer: acks from all in-sync replicas, at most 5 requests in flight.
   * Send through `sendBatchDelivered` (kafkajs-unsent-partition-fix.ts), which its partitioner is made for.
   */
  getProducer(): Promise<Producer> {
    this.producer ??= this.connect(
      this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 5,
        allowAutoTopicCreation: false,
        createPartitioner: recordingPartitioner(Partitioners.DefaultPartitioner),
      }),
      () => (this.producer = undefined),
    );
    return this.producer;
  }

  getAdmin(): Promise<Admin> {
    this.admin ??= this.connect(this.kafka.admin(), () => (this.admin = undefined));
    return this.admin;
  }

  /**
   * Readiness probe on a short-lived admin with no retries: a probe that times out must not leave
   * retries running that reconnect later (the shared clients retry by design).
   */
  async describeClusterOnce(): Promise<{ brokers: number }> {
    const admin = this.kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return { brokers: cluster.brokers.length };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * Creates the topics that do not exist yet and waits until they have leaders: KAFKA_TOPIC_PARTITIONS
   * partitions unless a topic says, KAFKA_REPLICATION_FACTOR replicas and KAFKA_MIN_INSYNC_REPLICAS
   * (each the broker's default when unset). Existing topics are left as they are; one with fewer
   * replicas than configured is named in a warning, once.
   */
  async ensureTopics(topics: Array<Omit<ITopicConfig, 'topic'> & { name: string }>): Promise<void> {
    const admin = await this.getAdmin();
    // Asking for existing topics makes the broker answer TOPIC_ALREADY_EXISTS, which kafkajs logs at
    // ERROR level: create only the missing ones.
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter(({ name }) => !existing.has(this.topic(name)));
    await this.warnUnderReplicated(
      admin,
      topics.filter(({ name }) => existing.has(this.topic(name))),
    );
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map(({ name, numPartitions, ...rest }) => ({
        topic: this.topic(name),
        numPartitions: numPartitions ?? this.config.kafkaTopicPartitions,
        ...this.replication(),
        ...rest,
      })),
    });
  }

  /** What KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS add to a topic's creation (nothing when unset). */
  replication(): Pick<ITopicConfig, 'replicationFactor' | 'configEntries'> {
    const { replicationFactor, minInsyncReplicas } = this.config.kafka;
    return {
      ...(replicationFactor !== undefined ? { replicationFactor } : {}),
      ...(minInsyncReplicas !== undefined ? { configEntries: [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }] } : {}),
    };
  }

  private async warnUnderReplicated(admin: Admin, topics: Array<{ name: string }>): Promise<void> {
    const wanted = this.config.kafka.replicationFactor;
    const unchecked = topics.map(({ name }) => this.topic(name)).filter((topic) => !this.replicationChecked.has(topic));
    if (wanted === undefined || unchecked.length === 0) return;
    const metadata = await admin.fetchTopicMetadata({ topics: unchecked }).catch(() => undefined);
    for (const { name, partitions } of metadata?.topics ?? []) {
      const replicas = Math.min(...partitions.map((p) => p.replicas.length));
      this.replicationChecked.add(name);
      if (replicas < wanted)
        this.logger.warn(
          `topic ${name} exists with ${replicas} replica(s), fewer than KAFKA_REPLICATION_FACTOR=${wanted}: existing topics are not changed (reassign its partitions to add replicas)`,
        );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const clients = await Promise.allSettled([this.producer, this.admin].filter(Boolean) as Promise<Producer | Admin>[]);
    await Promise.allSettled(clients.flatMap((c) => (c.status === 'fulfilled' ? [c.value.disconnect()] : [])));
  }

  // A failed connect is forgotten so the next caller tries again instead of inheriting the failure.
  private connect<T extends { connect(): Promise<void> }>(client: T, forget: () => void): Promise<T> {
    return client.connect().then(
      () => client,
      (error: unknown) => {
        forget();
        throw error;
      },
    );
  }
}
