import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { In } from 'typeorm';
import { TransactionRunner } from '../../src/platform/database/transaction-runner';
import { OutboxEvent } from '../../src/platform/outbox/outbox-event.entity';
import { OutboxRelay } from '../../src/platform/outbox/outbox-relay';
import { OutboxRepository } from '../../src/platform/outbox/outbox.repository';
import { APP_CONFIG } from '../../src/platform/config/config.module';
import type { AppConfig } from '../../src/platform/config/app-config';
import { MessageBus } from '../../src/platform/messaging/message-bus';
import { OutboxWriter } from '../../src/platform/outbox/outbox-writer';
import { ADMIN, inBatches, Shop } from '../support/commerce-fixtures';
import { eventually } from '../support/eventually';
import { itWithLocalBroker, localBroker } from '../support/local-broker';
import { metricSample } from '../support/metrics';
import { describeWithEngines, isolatedEnvironment, type IsolatedEnvironment } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';
import { TopicReader } from '../../support/topic-reader';

describeWithEngines('transactional outbox to Kafka', (engines) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let shop: Shop;
  let reader: TopicReader;
  const topic = (name: string) => `${env.env.KAFKA_TOPIC_PREFIX}${name}`;

  beforeAll(async () => {
    env = await isolatedEnvironment('full', ADMIN);
    app = await startApp(env.env);
    shop = await Shop.open(app);
    reader = await new TopicReader(engines.kafkaBrokers, [topic('order.completed'), topic('order.cancelled')]).start();
  });

  afterAll(async () => {
    await reader?.stop();
    await app?.close();
    await env?.cleanup();
  });

  const outbox = () => shop.dataSource.getRepository(OutboxEvent);
  const paidOrder = async (quantity = 1, price = 10_000) => {
    const product = await shop.product({ price });
    const user = await shop.user(100_000);
    const order = await shop.order(user.token, [{ productId: product.id, quantity }]);
    const paid = await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token });
    expect(paid.status).toBe(200);
    return { product, user, order };
  };

  it("publishes a committed payment's event with the contract's topic, key, headers and value", async () => {
    const { order, user, product } = await paidOrder(2);
    await eventually(() => expect(reader.messages.filter((m) => m.key === String(order.id))).toHaveLength(1), 20_000);
    const message = reader.messages.find((m) => m.key === String(order.id))!;
    expect(message).toMatchObject({ topic: topic('order.completed'), eventType: 'order.completed' });
    expect(message.value).toEqual({
      eventId: message.eventId,
      occurredAt: expect.stringMatching(/Z$/),
      orderId: order.id,
      userId: user.id,
      items: [{ productId: product.id, quantity: 2, unitPrice: 10_000 }],
      totalAmount: 20_000,
      discountAmount: 0,
      finalAmount: 20_000,
      userCouponId: null,
    });
    // The relay marks the row SENT after the broker's acknowledgement, which a consumer may see first.
    await eventually(async () => expect((await outbox().findOneByOrFail({ eventId: message.eventId })).status).toBe('SENT'));
  });

  it('relays while requests hold every connection of their pool: the relay has connections of its own', async () => {
    const config = app.app.get<AppConfig>(APP_CONFIG);
    // Every connection of the request pool, held as a burst of requests would hold them.
    const held = await Promise.all(
      Array.from({ length: config.db.poolSize }, async () => {
        const runner = shop.dataSource.createQueryRunner();
        await runner.connect();
        return runner;
      }),
    );
    try {
      const eventId = randomUUID();
      const key = `pool-held-${eventId}`;
      const occurredAt = new Date();
      // Recorded on a held connection; the relay finds it on its next poll (within a second).
      await held[0].manager.getRepository(OutboxEvent).insert({
        eventId,
        eventType: 'order.completed',
        topic: 'order.completed',
        messageKey: key,
        payload: JSON.stringify({ eventId, occurredAt: occurredAt.toISOString(), orderId: -2, userId: 1, items: [] }),
        headers: JSON.stringify({ 'event-id': eventId, 'event-type': 'order.completed', 'occurred-at': occurredAt.toISOString() }),
        status: 'PENDING',
        attempts: 0,
        lastError: null,
        occurredAt,
        sentAt: null,
      });
      await eventually(() => expect(reader.messages.some((m) => m.key === key)).toBe(true), 15_000);
      // Marked SENT in the same pass, committed just after the broker's acknowledgement.
      await eventually(
        async () => expect((await held[0].manager.getRepository(OutboxEvent).findOneByOrFail({ eventId })).status).toBe('SENT'),
        5_000,
      );
    } finally {
      await Promise.all(held.map((runner) => runner.release()));
    }
  });

  it("a pass waiting on Kafka with its claim held never blocks new orders' events (no gap locks)", async () => {
    const bus = app.app.get(MessageBus);
    const publish = bus.publish.bind(bus);
    let claimed!: () => void;
    const held = new Promise<void>((resolve) => (claimed = resolve));
    let answer!: () => void;
    const kafkaAnswers = new Promise<void>((resolve) => (answer = resolve));
    const slowBroker = jest.spyOn(bus, 'publish').mockImplementationOnce(async (messages) => {
      claimed();
      await kafkaAnswers;
      return publish(messages);
    });
    try {
      const first = await paidOrder();
      await held;
      // Under REPEATABLE READ the claim's next-key locks cover the gap new PENDING rows go to: this
      // payment's outbox insert would wait for the pass, and answer 503 after DB_STATEMENT_TIMEOUT_MS.
      const second = await paidOrder();
      answer();
      for (const { order } of [first, second]) {
        await eventually(() => expect(reader.messages.some((m) => m.key === String(order.id))).toBe(true), 20_000);
      }
    } finally {
      answer();
      slowBroker.mockRestore();
    }
  });

  it('publishes nothing for a transaction that fails after recording its event', async () => {
    const key = `rolled-back-${randomUUID()}`;
    await expect(
      app.app.get(TransactionRunner).run(async () => {
        await app.app.get(OutboxWriter).record({ type: 'order.completed', key, data: { orderId: -1 } });
        throw new Error('payment failed after the event was recorded');
      }),
    ).rejects.toThrow('payment failed');
    // A later event of the same topic is published, so the relay did run meanwhile.
    const { order } = await paidOrder();
    await eventually(() => expect(reader.messages.some((m) => m.key === String(order.id))).toBe(true), 20_000);
    expect(await outbox().countBy({ messageKey: key })).toBe(0);
    expect(reader.messages.some((m) => m.key === key)).toBe(false);
  });

  it('a relay crash between publish and mark only duplicates; top sellers stay exact', async () => {
    // The fault is the database's: the pass's UPDATE to SENT fails after Kafka acknowledged the
    // event, which leaves the row PENDING as a crash before that statement would.
    const markSent = jest
      .spyOn(app.app.get(OutboxRepository), 'markSent')
      .mockRejectedValueOnce(new Error('Connection lost: the server closed the connection.'));
    const { order, product } = await paidOrder(4, 7_000);
    await eventually(() => expect(reader.messages.filter((m) => m.key === String(order.id)).length).toBeGreaterThanOrEqual(2), 20_000);
    markSent.mockRestore();
    const copies = reader.messages.filter((m) => m.key === String(order.id));
    expect(new Set(copies.map((m) => m.eventId)).size).toBe(1);
    await eventually(async () => {
      const top = await shop.api.get('/products/top-sellers?days=2&limit=50');
      const entry = top.body.items.find((item: { productId: number }) => item.productId === product.id);
      expect(entry).toMatchObject({ soldQuantity: 4, revenue: 28_000 });
    }, 20_000);
  });

  it('a poison event goes DEAD after its attempts while the events behind it still flow', async () => {
    const poison = randomUUID();
    await outbox().insert({
      eventId: poison,
      eventType: 'order.completed',
      // A topic name Kafka refuses: the event fails for itself, not because of an outage.
      topic: 'order.completed!corrupt',
      messageKey: 'poison',
      payload: JSON.stringify({ eventId: poison }),
      headers: JSON.stringify({ 'event-id': poison, 'event-type': 'order.completed', 'occurred-at': new Date().toISOString() }),
      status: 'PENDING',
      attempts: 0,
      lastError: null,
      occurredAt: new Date(),
      sentAt: null,
    });
    const { order } = await paidOrder();
    await eventually(() => expect(reader.messages.some((m) => m.key === String(order.id))).toBe(true), 20_000);
    await eventually(async () => {
      const row = await outbox().findOneByOrFail({ eventId: poison });
      expect(row.status).toBe('DEAD');
      expect(row.attempts).toBe(app.app.get<AppConfig>(APP_CONFIG).outbox.maxAttempts);
      expect(row.lastError).toBeTruthy();
    }, 60_000);
    const metrics = await shop.api.get('/metrics');
    expect(metricSample(metrics.body, 'outbox_dead_total')).toBe(1);
    expect(metricSample(metrics.body, 'outbox_backlog')).toEqual(expect.any(Number));
  });

  const broker = localBroker(engines);
  itWithLocalBroker(broker)('keeps taking orders while Kafka is down, and drains the backlog when it returns', async () => {
    broker!.stop();
    const paid: number[] = [];
    try {
      await inBatches(Array.from({ length: 10 }), 5, async () => paid.push((await paidOrder()).order.id));
      expect(await outbox().count({ where: { status: 'PENDING' } })).toBeGreaterThanOrEqual(1);
    } finally {
      broker!.start();
    }
    await eventually(() => {
      for (const id of paid) expect(reader.messages.some((m) => m.key === String(id))).toBe(true);
    }, 90_000);
    await eventually(async () => expect(await outbox().countBy({ status: 'PENDING' })).toBe(0), 30_000);
    // An outage is not the events' fault: none of them counted a failed attempt (5 make it DEAD).
    const rows = await outbox().findBy({ messageKey: In(paid.map(String)) });
    expect(rows.map((row) => [row.status, row.attempts])).toEqual(paid.map(() => ['SENT', 0]));
  });

  it('creates a topic again that the broker lost (deleted under the running app), and delivers to it', async () => {
    const admin = new Kafka({ brokers: engines.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic('order.completed')] });
    } finally {
      await admin.disconnect();
    }
    const { order } = await paidOrder();
    const fresh = await new TopicReader(engines.kafkaBrokers, [topic('order.completed')]).start();
    try {
      await eventually(() => expect(fresh.messages.some((m) => m.key === String(order.id))).toBe(true), 60_000);
    } finally {
      await fresh.stop();
    }
    expect(await outbox().findOneByOrFail({ messageKey: String(order.id) })).toMatchObject({ status: 'SENT', attempts: 0 });
  });
});

/** How many messages the topics hold now (end offset minus start, over their partitions). */
async function messagesOn(brokers: string, topics: string[]): Promise<number> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    let total = 0;
    for (const name of topics) for (const p of await admin.fetchTopicOffsets(name)) total += Number(p.high) - Number(p.low);
    return total;
  } finally {
    await admin.disconnect();
  }
}

describeWithEngines('two relays over one outbox', (engines) => {
  let env: IsolatedEnvironment;
  let first: TestApp;
  let second: TestApp;
  let reader: TopicReader;

  beforeAll(async () => {
    env = await isolatedEnvironment('full', ADMIN);
    first = await startApp(env.env);
    second = await startApp(env.env);
  });

  afterAll(async () => {
    await reader?.stop();
    await first?.close();
    await second?.close();
    await env?.cleanup();
  });

  it('publishes 1,000 events once each, completed before cancelled for every order', async () => {
    const relays = [first, second].map((app) => app.app.get(OutboxRelay));
    await Promise.all(relays.map((relay) => relay.stop()));
    const shop = await Shop.open(first);
    const base = Date.now();
    const rows = Array.from({ length: 500 }, (_, i) => i + 1).flatMap((orderId) =>
      ['order.completed', 'order.cancelled'].map((type) => {
        const eventId = randomUUID();
        const occurredAt = new Date(base + orderId);
        return {
          eventId,
          eventType: type,
          topic: type,
          messageKey: String(orderId),
          payload: JSON.stringify({ eventId, occurredAt: occurredAt.toISOString(), orderId, userId: 1, items: [] }),
          headers: JSON.stringify({ 'event-id': eventId, 'event-type': type, 'occurred-at': occurredAt.toISOString() }),
          status: 'PENDING' as const,
          attempts: 0,
          lastError: null,
          occurredAt,
          sentAt: null,
        };
      }),
    );
    for (let i = 0; i < rows.length; i += 200) await shop.dataSource.getRepository(OutboxEvent).insert(rows.slice(i, i + 200));

    // Every publish of both relays, in one sequence: when a send began and when the broker acknowledged it.
    const steps: Array<{ step: 'send' | 'ack'; eventIds: string[] }> = [];
    const spies = [first, second].map((app) => {
      const bus = app.app.get(MessageBus);
      const publish = bus.publish.bind(bus);
      return jest.spyOn(bus, 'publish').mockImplementation(async (messages) => {
        const eventIds = messages.map((m) => m.headers?.['event-id'] ?? '');
        steps.push({ step: 'send', eventIds });
        await publish(messages);
        steps.push({ step: 'ack', eventIds });
      });
    });
    const prefix = env.env.KAFKA_TOPIC_PREFIX;
    const topics = [`${prefix}order.completed`, `${prefix}order.cancelled`];
    reader = await new TopicReader(engines.kafkaBrokers, topics).start();
    try {
      relays.forEach((relay) => relay.start());
      await eventually(
        async () => expect(await shop.dataSource.getRepository(OutboxEvent).countBy({ status: 'SENT' })).toBe(1_000),
        90_000,
      );
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
    // Every row is SENT, so nothing more will be published: read the topics to their end, then count.
    const onTopics = await messagesOn(engines.kafkaBrokers, topics);
    expect(onTopics).toBe(1_000);
    await eventually(() => expect(reader.messages.length).toBeGreaterThanOrEqual(onTopics), 60_000);
    expect(reader.messages).toHaveLength(1_000);
    expect(new Set(reader.messages.map((m) => m.eventId)).size).toBe(1_000);
    // Per order, the cancellation was sent only after the broker had acknowledged the completion
    // (positions in the sequence, not millisecond timestamps: one batch would share a timestamp).
    const firstAt = (step: 'send' | 'ack', eventId: string) => steps.findIndex((s) => s.step === step && s.eventIds.includes(eventId));
    const outOfOrder = rows
      .filter((row) => row.eventType === 'order.completed')
      .map((completed) => {
        const cancelled = rows.find((row) => row.messageKey === completed.messageKey && row.eventType === 'order.cancelled')!;
        return {
          order: completed.messageKey,
          completedAcked: firstAt('ack', completed.eventId),
          cancelledSent: firstAt('send', cancelled.eventId),
        };
      })
      .filter(({ completedAcked, cancelledSent }) => completedAcked < 0 || cancelledSent <= completedAcked);
    expect(outOfOrder).toEqual([]);
  });
});
