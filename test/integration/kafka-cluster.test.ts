import { type Admin, ConfigResourceTypes, ConfigSource, Kafka, logLevel, Partitioners } from 'kafkajs';
import { UserCoupon } from '../../src/modules/coupon/entities/coupon.entities';
import { COUPON_ISSUE_TOPIC } from '../../src/modules/coupon/contracts/issue-requested';
import { OutboxEvent } from '../../src/platform/outbox/outbox-event.entity';
import { ADMIN, inBatches, Shop } from '../support/commerce-fixtures';
import { callers, createCoupon, type DropResult, runDrop } from '../support/coupon-drop';
import { eventually } from '../support/eventually';
import { describeWithKafkaCluster } from '../support/kafka-cluster';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';
import { TopicReader } from '../../support/topic-reader';

const WAVE = 60;

/** Codes of the refusals of some drop waves, with their counts. */
function refusals(waves: DropResult[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const wave of waves) for (const [code, n] of wave.rejections) counts.set(code, (counts.get(code) ?? 0) + n);
  return counts;
}

describeWithKafkaCluster('Kafka as a three-node cluster, topics with 3 replicas and min ISR 2', (_engines, cluster) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let shop: Shop;
  let admin: Admin;
  let buyers: Array<{ token: string; id: number }>;
  let productId: number;
  const topic = (name: string) => `${env.env.KAFKA_TOPIC_PREFIX}${name}`;
  /** The node a test stopped or killed; brought back after the test, even a failed one, so the next starts on three. */
  let away: number | undefined;

  beforeAll(async () => {
    await cluster.start();
    env = await isolatedEnvironment('full', {
      ...ADMIN,
      KAFKA_BROKERS: cluster.brokers,
      KAFKA_REPLICATION_FACTOR: '3',
      KAFKA_MIN_INSYNC_REPLICAS: '2',
      COUPON_ISSUE_STRATEGY: 'queue',
      LOG_LEVEL: 'warn',
    });
    app = await startApp(env.env, { captureLogs: true });
    shop = await Shop.open(app);
    admin = new Kafka({ brokers: cluster.brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    productId = (await shop.product({ price: 1_000, stock: 1_000_000 })).id;
    buyers = await inBatches(Array.from({ length: 6 }), 3, () => shop.user(10_000_000));
  });

  afterEach(async () => {
    if (away !== undefined) await bringBack(away);
    away = undefined;
  });

  afterAll(async () => {
    try {
      await admin?.disconnect();
      await app?.close();
      await env?.cleanup();
    } finally {
      await cluster.stop();
    }
  });

  /** What the app logged of a refused request (a 503 names its dependency and error only in the log). */
  function whyRefused(url: string): string {
    const lines = app.logs!.entries().filter((entry) => entry.url === url);
    return JSON.stringify(lines.map(({ dependency, error, msg }) => ({ dependency, error, msg })));
  }

  /** Six buyers paying one order after another until stopped; every payment must succeed (its event waits in the outbox). */
  function payAllAlong() {
    let paying = true;
    const paid: number[] = [];
    const refused: string[] = [];
    const running = Promise.all(
      buyers.map(async (buyer) => {
        while (paying) {
          const order = await shop.order(buyer.token, [{ productId, quantity: 1 }]);
          const answer = await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token });
          if (answer.status === 200) paid.push(order.id);
          else refused.push(`${answer.status} ${answer.body.code} ${whyRefused(`/orders/${order.id}/pay`)}`);
        }
      }),
    );
    return {
      paid,
      refused,
      stop: async () => {
        paying = false;
        await running;
      },
    };
  }

  /** The broker leading the partition a coupon's issue requests go to. */
  async function queueLeader(couponId: number): Promise<number> {
    const partitions = (await admin.fetchTopicMetadata({ topics: [topic(COUPON_ISSUE_TOPIC)] })).topics[0].partitions;
    const partition = Partitioners.DefaultPartitioner()({
      topic: topic(COUPON_ISSUE_TOPIC),
      partitionMetadata: partitions,
      message: { key: String(couponId), value: null },
    });
    return partitions.find((p) => p.partitionId === partition)!.leader;
  }

  /** Every order.completed event in the outbox is SENT, without a failed attempt, and on the topic, read by a fresh consumer. */
  async function expectEveryEventPublished(paid: number[]): Promise<void> {
    const outbox = shop.dataSource.getRepository(OutboxEvent);
    await eventually(async () => expect(await outbox.countBy({ status: 'PENDING' })).toBe(0), 30_000, 200);
    const events = await outbox.findBy({ topic: 'order.completed' });
    // A leader that moved or died is an outage to the relay, never the event's own failure: no
    // attempt counted, so none DEAD (listed with the error the relay recorded).
    expect(
      events
        .filter((e) => e.status !== 'SENT' || e.attempts > 0)
        .map(({ eventId, status, attempts, lastError }) => ({ eventId, status, attempts, lastError })),
    ).toEqual([]);
    const keys = new Set(events.map((e) => Number(e.messageKey)));
    expect(paid.filter((id) => !keys.has(id))).toEqual([]);
    const reader = await new TopicReader(cluster.brokers, [topic('order.completed')]).start();
    try {
      await eventually(
        () => expect(events.filter((e) => !reader.messages.some((m) => m.eventId === e.eventId)).map((e) => e.messageKey)).toEqual([]),
        30_000,
        200,
      );
    } finally {
      await reader.stop();
    }
  }

  /** Starts the node again on its data and waits until every partition has three in-sync replicas again. */
  async function bringBack(node: number): Promise<void> {
    await cluster.startNode(node);
    await eventually(
      async () => {
        const metadata = await admin.fetchTopicMetadata({ topics: [topic('order.completed'), topic(COUPON_ISSUE_TOPIC)] });
        const behind = metadata.topics.flatMap((t) =>
          t.partitions.filter((p) => p.isr.length < 3).map((p) => `${t.name}/${p.partitionId}`),
        );
        expect(behind).toEqual([]);
      },
      30_000,
      500,
    );
  }

  it('creates its topics with KAFKA_REPLICATION_FACTOR replicas and KAFKA_MIN_INSYNC_REPLICAS as their own setting', async () => {
    const topics = [topic('order.completed'), topic('order.cancelled'), topic(COUPON_ISSUE_TOPIC)];
    const metadata = await admin.fetchTopicMetadata({ topics });
    for (const { name, partitions } of metadata.topics) {
      expect({ name, replicas: [...new Set(partitions.map((p) => p.replicas.length))] }).toEqual({ name, replicas: [3] });
    }
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['min.insync.replicas'] })),
    });
    // TOPIC_CONFIG: set on the topic when the app created it, not inherited from the brokers (whose default is 2 as well).
    expect(configs.resources.map((r) => [r.resourceName, r.configEntries[0].configValue, r.configEntries[0].configSource])).toEqual(
      topics.map((name) => [name, '2', ConfigSource.TOPIC_CONFIG]),
    );
  });

  it('the leader of the queue stopped while orders are paid and a queued drop runs: no event lost, no request refused, exactly the stock', async () => {
    const stock = 150;
    const couponId = await createCoupon(shop, stock);
    const crowd = await callers(app, 4 * WAVE, 50_000_000);
    const wave = (i: number) => crowd.slice(i * WAVE, (i + 1) * WAVE);
    const victim = await queueLeader(couponId);
    const payments = payAllAlong();
    const waves: DropResult[] = [];
    try {
      // Waves of 60 users, each decided before the next: one on three nodes, one while the leader
      // stops (a clean stop: it hands its partitions over first), two with it away; 10 of each
      // wave press again in the next.
      waves.push(await runDrop([app], shop, couponId, wave(0)));
      away = victim;
      const stopping = cluster.stopNode(victim);
      waves.push(await runDrop([app], shop, couponId, [...wave(1), ...wave(0).slice(0, 10)]));
      await stopping;
      const paidBefore = payments.paid.length;
      waves.push(await runDrop([app], shop, couponId, [...wave(2), ...wave(1).slice(0, 10)]));
      waves.push(await runDrop([app], shop, couponId, wave(3)));
      await eventually(() => expect(payments.paid.length).toBeGreaterThan(paidBefore + 20), 20_000); // paid with the node away too
    } finally {
      await payments.stop();
    }
    expect(payments.refused).toEqual([]);
    // With the node still away.
    await expectEveryEventPublished(payments.paid);
    // The queue kept deciding, and accepted every request: the stock issued exactly, one per user.
    expect(waves.map((w) => w.unavailable)).toEqual([0, 0, 0, 0]);
    expect(waves.slice(2).some((w) => w.issued.size > 0)).toBe(true); // issued with the node away, not only before
    const issued = new Map(waves.flatMap((w) => [...w.issued]));
    const stored = await shop.dataSource.getRepository(UserCoupon).findBy({ couponId });
    expect(stored).toHaveLength(stock);
    expect(new Set(stored.map((c) => c.userId)).size).toBe(stock);
    expect(new Map(stored.map((c) => [c.userId, c.id]))).toEqual(issued);
    const refused = refusals(waves);
    expect([...refused.keys()].sort()).toEqual(['COUPON_ALREADY_ISSUED', 'COUPON_SOLD_OUT']);
    expect(issued.size + refused.get('COUPON_ALREADY_ISSUED')! + refused.get('COUPON_SOLD_OUT')!).toBe(4 * WAVE + 20);
  });

  it('the leader of the queue killed (SIGKILL): every acknowledged event survives it; requests refused meanwhile are retried and decided, exactly the stock', async () => {
    const stock = 60;
    const couponId = await createCoupon(shop, stock);
    const crowd = await callers(app, 2 * WAVE, 60_000_000);
    const victim = await queueLeader(couponId);
    const payments = payAllAlong();
    const waves: DropResult[] = [];
    try {
      waves.push(await runDrop([app], shop, couponId, crowd.slice(0, WAVE / 2)));
      // Until the controller fences the dead node (broker.session.timeout.ms, 9 s), its partitions
      // have no leader: a request may be refused (503 QUEUE_UNAVAILABLE, nothing kept) and events wait.
      away = victim;
      await cluster.killNode(victim);
      waves.push(await runDrop([app], shop, couponId, crowd.slice(WAVE / 2)));
      // Callers retry after Retry-After until each has a decision (those decided are told again).
      for (let retry = 0; retry < 20 && waves[waves.length - 1].unavailable > 0; retry++) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        waves.push(await runDrop([app], shop, couponId, crowd.slice(WAVE / 2)));
      }
      await eventually(() => expect(payments.paid.length).toBeGreaterThan(0), 20_000);
    } finally {
      await payments.stop();
    }
    expect(payments.refused).toEqual([]);
    await expectEveryEventPublished(payments.paid);
    expect(waves[waves.length - 1].unavailable).toBe(0);
    expect([...new Set(waves.flatMap((w) => [...w.unavailableCodes]))].filter((code) => code !== 'QUEUE_UNAVAILABLE')).toEqual([]);
    const issued = new Map(waves.flatMap((w) => [...w.issued]));
    const stored = await shop.dataSource.getRepository(UserCoupon).findBy({ couponId });
    expect(stored).toHaveLength(stock);
    expect(new Set(stored.map((c) => c.userId)).size).toBe(stock);
    expect(new Map(stored.map((c) => [c.userId, c.id]))).toEqual(issued);
  });
});
