import { getDataSourceToken } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { type DataSource } from 'typeorm';
import { LockManager } from '../../src/platform/locking/lock-manager';
import { type IncomingMessage, MessageBus } from '../../src/platform/messaging/message-bus';
import { REDIS } from '../../src/platform/redis/redis.module';
import { describeWithEngines, isolatedEnvironment, type IsolatedEnvironment, withMysql } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/eventually';

describeWithEngines('full profile on real MySQL/MariaDB, Redis and Kafka', (engines) => {
  let env: IsolatedEnvironment;
  let app: TestApp;

  beforeAll(async () => {
    env = await isolatedEnvironment('full');
    app = await startApp(env.env);
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('builds the schema with migrations, not schema sync', async () => {
    const tables = await withMysql(
      engines,
      async (c) => (await c.query('SHOW TABLES'))[0] as Array<Record<string, string>>,
      env.env.DB_NAME,
    );
    const names = tables.map((row) => Object.values(row)[0]);
    expect(names).toEqual(expect.arrayContaining(['migrations', 'users']));
    const dataSource = app.app.get<DataSource>(getDataSourceToken());
    expect(dataSource.options.synchronize).toBe(false);
    expect(await dataSource.showMigrations()).toBe(false); // nothing pending
  });

  it('lets a second instance start on the same database while the first runs (migrations once)', async () => {
    const second = await startApp(env.env);
    try {
      const applied = await withMysql(
        engines,
        async (c) => (await c.query('SELECT name FROM migrations'))[0] as unknown[],
        env.env.DB_NAME,
      );
      const dataSource = app.app.get<DataSource>(getDataSourceToken());
      expect(applied).toHaveLength(dataSource.migrations.length);
      expect((await second.api.get('/health/ready')).status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it('round-trips a value through Redis under the instance key prefix', async () => {
    const redis = app.app.get<Redis>(REDIS);
    await redis.set('roundtrip', 'hello', 'PX', 60_000);
    expect(await redis.get('roundtrip')).toBe('hello');
    const raw = new Redis(engines.redisUrl);
    try {
      expect(await raw.get(`${env.env.REDIS_KEY_PREFIX}roundtrip`)).toBe('hello');
    } finally {
      raw.disconnect();
    }
  });

  it("takes a process's first lock while other commands wait in the same auto-pipeline: granted, and every command gets its own reply", async () => {
    const fresh = await startApp(env.env);
    try {
      const redis = fresh.app.get<Redis>(REDIS);
      await redis.set('pipelined', 'mine', 'PX', 60_000);
      // One tick: a GET opens the auto-pipeline, then the lock adapter sends its first command, then another GET.
      const commands = Promise.all([
        redis.get('pipelined'),
        fresh.app.get(LockManager).withLock('first', { ttlMs: 3_000, waitMs: 2_000 }, async () => 'held'),
        redis.get('pipelined'),
      ]);
      await expect(commands).resolves.toEqual(['mine', 'held', 'mine']);
    } finally {
      await fresh.close();
    }
  });

  it('round-trips messages through Kafka: admin-created topic, idempotent producer, consumer group with committed offsets', async () => {
    const bus = app.app.get(MessageBus);
    await bus.ensureTopics([{ name: 'roundtrip', partitions: 3 }]);

    const prefix = env.env.KAFKA_TOPIC_PREFIX;
    const admin = new Kafka({ brokers: engines.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [`${prefix}roundtrip`] });
      expect(metadata.topics[0].partitions).toHaveLength(3);

      const received: IncomingMessage[] = [];
      const handle = await bus.subscribe({
        groupId: 'roundtrip-reader',
        topics: ['roundtrip'],
        handleBatch: async (messages) => {
          received.push(...messages);
        },
      });
      const sent = Array.from({ length: 30 }, (_, i) => ({
        topic: 'roundtrip',
        key: `order-${i % 5}`,
        value: { seq: i, key: `order-${i % 5}` },
        headers: { 'event-id': `e-${i}` },
      }));
      await bus.publish(sent);

      await eventually(() => expect(received).toHaveLength(30), 30_000);
      // Per key, messages arrive in the order they were published.
      for (let k = 0; k < 5; k++) {
        const seqs = received.filter((m) => m.key === `order-${k}`).map((m) => (m.value as { seq: number }).seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
      expect(received[0].topic).toBe('roundtrip');
      expect(received.map((m) => m.headers['event-id']).sort()).toEqual(sent.map((m) => m.headers['event-id']).sort());

      // Offsets were committed for the group, so a restart would not re-read them.
      await eventually(async () => {
        const offsets = await admin.fetchOffsets({ groupId: `${prefix}roundtrip-reader`, topics: [`${prefix}roundtrip`] });
        const committed = offsets[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
        expect(committed).toBe(30);
      }, 30_000);
      await handle.stop();
    } finally {
      await admin.disconnect();
    }
  });
});
