import { Kafka, logLevel, type Producer } from 'kafkajs';
import Redis from 'ioredis';
import { createPool, type Pool } from 'mysql2/promise';
import { type AppConfig } from '../../src/platform/config/app-config';
import { fixKafkajsRequestQueue } from '../../src/platform/kafka/kafkajs-request-queue-fix';
import { RedisTopSellersStore } from '../../src/modules/product/top-sellers/redis-top-sellers.store';
import { localEngines } from '../../support/isolated-resources';
import { bareRepositories } from './bare-repositories';
import { CoalescedSend } from './coalesced-send';

/**
 * What the app does with an order's event after the pay commits, with nothing around it, for the
 * order-pay-sql loop to do the app's whole I/O: relay passes on connections of their own (READ
 * COMMITTED) claim PENDING rows with the app's own outbox repository (./bare-repositories.ts),
 * publish them with the app's producer settings (idempotent, acks -1, one send in flight with later
 * publishes combined into the next), mark them SENT through the same repository and commit; a
 * consumer group applies each event to Redis with the app's own top-sellers store (the same Lua
 * script). The app's defaults: 4 passes, batches of 100, a pass woken by a commit or after 1 s, 6 partitions.
 */
export class BareOutbox {
  private readonly waiting: Array<() => void> = [];
  private running = true;
  private passes: Array<Promise<void>> = [];
  private consumed = 0;
  private readonly readCommitted = new WeakSet<object>();
  private readonly sender: CoalescedSend;

  private constructor(
    private readonly pool: Pool,
    private readonly producer: Producer,
    private readonly consumer: ReturnType<Kafka['consumer']>,
    private readonly redis: Redis,
    topic: string,
  ) {
    this.sender = new CoalescedSend(producer, topic);
  }

  /** `redisKeyPrefix` keeps its sales apart from the app's. */
  static async start(database: string, topic: string, groupId: string, redisKeyPrefix: string): Promise<BareOutbox> {
    fixKafkajsRequestQueue();
    const kafka = new Kafka({ clientId: 'bench-bare-outbox', brokers: localEngines.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
    await producer.connect();
    const pool = createPool({ ...localEngines.db, timezone: 'Z', database, connectionLimit: PASSES });
    const redis = new Redis(localEngines.redisUrl, { keyPrefix: redisKeyPrefix });
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 1000 });
    const outbox = new BareOutbox(pool, producer, consumer, redis, topic);
    const store = new RedisTopSellersStore(redis, { redis: { keyPrefix: redisKeyPrefix } } as AppConfig);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // As the app's consumer runner: offsets resolved after the batch is applied, then committed.
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const applied = batch.messages.map((message) => {
          const event = JSON.parse(message.value!.toString()) as {
            eventId: string;
            orderId: number;
            occurredAt: string;
            items: Array<{ productId: number; quantity: number; unitPrice: number }>;
          };
          return store.recordCompleted(event.eventId, event.orderId, event.occurredAt.slice(0, 10), event.items);
        });
        await Promise.all(applied);
        outbox.consumed += applied.length;
        if (batch.messages.length > 0) payload.resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await payload.commitOffsetsIfNecessary();
        await payload.heartbeat();
      },
    });
    outbox.passes = Array.from({ length: PASSES }, () => outbox.passLoop());
    return outbox;
  }

  /** A commit happened: wake the pass that has waited longest. */
  wake(): void {
    this.waiting.shift()?.();
  }

  /** Events the consumer applied so far. */
  get consumedCount(): number {
    return this.consumed;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.waiting.splice(0).forEach((wake) => wake());
    await Promise.all(this.passes);
    await this.consumer.disconnect();
    await this.producer.disconnect();
    await this.pool.end();
    this.redis.disconnect();
  }

  private async passLoop(): Promise<void> {
    while (this.running) {
      const claimed = await this.pass();
      if (claimed < BATCH && this.running)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            const index = this.waiting.indexOf(wake);
            if (index >= 0) this.waiting.splice(index, 1);
            resolve();
          }, POLL_MS);
          const wake = () => {
            clearTimeout(timer);
            resolve();
          };
          this.waiting.push(wake);
        });
    }
  }

  private async pass(): Promise<number> {
    const connection = await this.pool.getConnection();
    try {
      // As the app's relay sessions: READ COMMITTED, set once per connection, so a pass never holds gap locks new orders wait on.
      if (!this.readCommitted.has(connection.connection)) {
        await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
        this.readCommitted.add(connection.connection);
      }
      await connection.query('START TRANSACTION');
      const { outbox } = bareRepositories(connection);
      const rows = await outbox.claimPending(BATCH);
      if (rows.length > 0) {
        await this.sender.publish(
          rows.map((row) => ({ key: row.messageKey, value: JSON.stringify(JSON.parse(row.payload)), headers: JSON.parse(row.headers) })),
        );
        await outbox.markSent(
          rows.map((row) => row.id),
          new Date(),
        );
      }
      await connection.query('COMMIT');
      return rows.length;
    } finally {
      connection.release();
    }
  }
}

const PASSES = 4;
const BATCH = 100;
const POLL_MS = 1000;
const PARTITIONS = 6;
