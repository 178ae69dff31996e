import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Coupon, CouponIssueRequest, UserCoupon } from '../../src/modules/coupon/entities/coupon.entities';
import { IssueRequestRepository } from '../../src/modules/coupon/database/issue-request.repository';
import { CouponLedger } from '../../src/modules/coupon/issuance/coupon-ledger';
import { COUPON_ISSUE_TOPIC } from '../../src/modules/coupon/contracts/issue-requested';
import { IssueRequestIds } from '../../src/modules/coupon/issuance/issue-request-id';
import { COUPON_ISSUER_GROUP } from '../../src/modules/coupon/issuance/issue-request.consumer';
import { MessageBus } from '../../src/platform/messaging/message-bus';
import { ConsumerGroups } from '../../src/platform/messaging/message-bus.transport';
import { APP_CONFIG } from '../../src/platform/config/config.module';
import type { AppConfig } from '../../src/platform/config/app-config';
import { REDIS } from '../../src/platform/redis/redis.module';
import type Redis from 'ioredis';
import { ADMIN, Shop } from '../support/commerce-fixtures';
import { membersWithPartitions } from '../support/consumer-group';
import { callers, createCoupon, expectExactDrop, runDrop } from '../support/coupon-drop';
import { describeWithEngines, isolatedEnvironment, type IsolatedEnvironment } from '../support/real-engines';
import { TcpProxy } from '../../support/tcp-proxy';
import { eventually } from '../support/eventually';
import { itWithLocalBroker, localBroker } from '../support/local-broker';
import { startApp, type TestApp } from '../support/test-app';

/** 2,000 requests from 1,500 distinct users (500 of them twice), shuffled. */
async function crowd(app: TestApp, firstId: number) {
  const people = await callers(app, 1_500, firstId);
  return [...people, ...people.slice(0, 500)].sort(() => Math.random() - 0.5);
}

// Not a latency check: only a request that hangs takes this long, and then the failure names it.
const MUST_ANSWER = { timeoutMs: 30_000 };

/** What a caller may be told besides its copy: sold out, already holding one, and under the lock a wait in vain (503). */
const REFUSALS = { lock: ['COUPON_SOLD_OUT', 'COUPON_ALREADY_ISSUED', 'COUPON_BUSY'], queue: ['COUPON_SOLD_OUT', 'COUPON_ALREADY_ISSUED'] };

describe.each(['lock', 'queue'] as const)('coupon drop on real engines (%s strategy)', (strategy) => {
  describeWithEngines(`two instances, ${strategy}`, (engines) => {
    let env: IsolatedEnvironment;
    let apps: TestApp[] = [];
    let redisProxy: TcpProxy;
    let shop: Shop;

    beforeAll(async () => {
      redisProxy = await TcpProxy.forUrl(engines.redisUrl, 6379).start();
      // At warn, kept in memory: a 503 the drop did not expect is reported with the dependency it names.
      env = await isolatedEnvironment('full', {
        ...ADMIN,
        COUPON_ISSUE_STRATEGY: strategy,
        REDIS_URL: redisProxy.through(engines.redisUrl),
        LOG_LEVEL: 'warn',
      });
      apps = [await startApp(env.env, { captureLogs: true }), await startApp(env.env, { captureLogs: true })];
      shop = await Shop.open(apps[0]);
    });

    afterAll(async () => {
      for (const app of apps) await app.close();
      await redisProxy?.stop();
      await env?.cleanup();
    });

    it('stock 100, 2,000 concurrent requests from 1,500 users over two instances: exactly 100, one per user', async () => {
      const couponId = await createCoupon(shop, 100);
      const result = await runDrop(apps, shop, couponId, await crowd(apps[0], strategy === 'lock' ? 10_000_000 : 20_000_000));
      await expectExactDrop(result, 100, REFUSALS[strategy], apps[1].api);
      // Under the lock, a caller that waited COUPON_LOCK_WAIT_MS in vain is told to retry (503 COUPON_BUSY).
      if (strategy === 'queue') {
        expect({ unavailable: result.unavailable, dependencies: [...result.unavailableDependencies] }).toEqual({
          unavailable: 0,
          dependencies: [],
        });
      } else expect([...result.unavailableCodes].every((code) => code === 'COUPON_BUSY')).toBe(true);
      const rejected = (result.rejections.get('COUPON_SOLD_OUT') ?? 0) + (result.rejections.get('COUPON_ALREADY_ISSUED') ?? 0);
      expect(rejected + result.unavailable).toBe(1_900);
    });

    if (strategy === 'lock') {
      it('Redis stopped in the middle: 503 LOCK_UNAVAILABLE, nothing over-issued, issuing resumes when Redis returns', async () => {
        const couponId = await createCoupon(shop, 100);
        const issuedSoFar = async () => (await shop.dataSource.getRepository(Coupon).findOneByOrFail({ id: couponId })).issuedQuantity;
        // Pace the batches (300 ms each) so Redis goes away while callers are still in line.
        const pacing = apps.map((app) => {
          const ledger = app.app.get(CouponLedger);
          const issueBatch = ledger.issueBatch.bind(ledger);
          return jest.spyOn(ledger, 'issueBatch').mockImplementation(async (...args) => (await sleep(300), issueBatch(...args)));
        });
        let during: Array<Awaited<ReturnType<typeof runDrop>>>;
        try {
          const firstWave = runDrop(apps, shop, couponId, await callers(apps[0], 200, 11_000_000), MUST_ANSWER);
          await eventually(async () => expect(await issuedSoFar()).toBeGreaterThanOrEqual(1), 30_000, 10);
          await redisProxy.cut();
          // The drop goes on while Redis is away.
          const secondWave = runDrop(apps, shop, couponId, await callers(apps[0], 200, 11_000_200), MUST_ANSWER);
          during = await Promise.all([firstWave, secondWave]);
        } finally {
          pacing.forEach((spy) => spy.mockRestore());
          await redisProxy.restore();
        }
        const unavailableCodes = new Set(during.flatMap((wave) => [...wave.unavailableCodes]));
        expect(unavailableCodes).toContain('LOCK_UNAVAILABLE');
        expect([...unavailableCodes].every((code) => ['LOCK_UNAVAILABLE', 'COUPON_BUSY'].includes(code))).toBe(true);
        const issuedDuring = new Map([...during[0].issued, ...during[1].issued]);
        expect(issuedDuring.size).toBeLessThanOrEqual(100);
        // Every success has its stored copy, every stored copy had its success, the counter agrees.
        const stored = await shop.dataSource.getRepository(UserCoupon).findBy({ couponId });
        expect(new Map(stored.map((c) => [c.userId, c.id]))).toEqual(issuedDuring);
        expect(await issuedSoFar()).toBe(stored.length);

        for (const app of apps)
          await eventually(async () => expect((await app.api.get('/health/ready', MUST_ANSWER)).status).toBe(200), 20_000);
        // Issuing resumes. As in any drop, a caller still in line after COUPON_LOCK_WAIT_MS is told
        // to retry (COUPON_BUSY; a slow machine makes more of them), so new callers keep coming until
        // the stock is gone; none is ever told the lock service is away.
        const after: Array<Awaited<ReturnType<typeof runDrop>>> = [];
        for (let wave = 0; wave === 0 || (wave < 5 && (await issuedSoFar()) < 100); wave++) {
          after.push(await runDrop(apps, shop, couponId, await callers(apps[0], 400, 11_100_000 + wave * 1_000), MUST_ANSWER));
        }
        expect(new Set(after.flatMap((wave) => [...wave.unavailableCodes]))).not.toContain('LOCK_UNAVAILABLE');
        expect(after.every((wave) => [...wave.unavailableCodes].every((code) => code === 'COUPON_BUSY'))).toBe(true);
        const issued = new Map([...issuedDuring, ...after.flatMap((wave) => [...wave.issued])]);
        expect(issued.size).toBe(100);
        const storedAtEnd = after[after.length - 1].stored;
        expect(storedAtEnd).toHaveLength(100);
        expect(new Map(storedAtEnd.map((c) => [c.userId, c.id]))).toEqual(issued);
        expect(await issuedSoFar()).toBe(100);
      });

      it('callers whose wait runs out in line behind a slow batch get 503 COUPON_BUSY, not LOCK_UNAVAILABLE', async () => {
        const couponId = await createCoupon(shop, 100);
        const ledger = apps[0].app.get(CouponLedger);
        const issueBatch = ledger.issueBatch.bind(ledger);
        // One batch outlasts the wait of everyone who queues behind it: it holds until they all have their answer.
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        const slowBatch = jest.spyOn(ledger, 'issueBatch').mockImplementationOnce(async (...args) => (await held, issueBatch(...args)));
        const [firstCaller, ...later] = await callers(apps[0], 51, 12_500_000);
        try {
          const first = runDrop([apps[0]], shop, couponId, [firstCaller]);
          await eventually(() => expect(slowBatch).toHaveBeenCalled(), 5_000, 10);
          const behind = await runDrop([apps[0]], shop, couponId, later).finally(release);
          expect((await first).issued.size).toBe(1);
          expect(behind.unavailable).toBe(50);
          expect(behind.unavailableCodes).toEqual(new Set(['COUPON_BUSY']));
        } finally {
          release();
          slowBatch.mockRestore();
        }
        // Redis was fine all along: the next caller is served.
        const next = await runDrop(apps, shop, couponId, await callers(apps[0], 1, 12_500_100));
        expect(next.issued.size).toBe(1);
      });

      it.each([
        ['the same user, through the other instance', 1, 'COUPON_ALREADY_ISSUED'],
        ['the last copy, to another user', 2, 'COUPON_SOLD_OUT'],
      ] as const)('a holder that outlives its lease cannot cause a second copy: %s', async (_, distinctUsers, refusal) => {
        const couponId = await createCoupon(shop, 1);
        const people = await callers(apps[0], distinctUsers, 12_000_000 + distinctUsers * 10);
        const [first, second] = [people[0], people[distinctUsers - 1]];
        // The first holder stalls past its lease (a GC pause, a slow network) before it reaches the
        // database: until the second caller has its answer, however long that takes.
        const ledger = apps[0].app.get(CouponLedger);
        const issueBatch = ledger.issueBatch.bind(ledger);
        let secondAnswered!: () => void;
        const secondDone = new Promise<void>((resolve) => (secondAnswered = resolve));
        const stall = jest.spyOn(ledger, 'issueBatch').mockImplementationOnce(async (...args) => (await secondDone, issueBatch(...args)));
        const lease = `lock:coupon:${couponId}`;
        const redis = apps[0].app.get<Redis>(REDIS);
        const { lockTtlMs } = apps[0].app.get<AppConfig>(APP_CONFIG).coupon;
        try {
          const slow = apps[0].api.post(`/coupons/${couponId}/issue`, undefined, { token: first.token });
          await eventually(() => expect(stall).toHaveBeenCalled(), 5_000, 10);
          // The first holder's lease is in Redis, and expires by itself (nothing extends it) within COUPON_LOCK_TTL_MS.
          expect(await redis.pttl(lease)).toBeGreaterThan(0);
          await eventually(async () => expect(await redis.exists(lease)).toBe(0), lockTtlMs + 5_000, 20);
          const fastResponse = await apps[1].api
            .post(`/coupons/${couponId}/issue`, undefined, { token: second.token })
            .finally(secondAnswered);
          // The second caller got the lock and its copy while the first still worked (before its batch ran).
          expect(fastResponse.status).toBe(201);
          const slowResponse = await slow;
          expect(slowResponse.status).toBe(409);
          expect(slowResponse.body.code).toBe(refusal);
        } finally {
          secondAnswered();
          stall.mockRestore();
        }
        const stored = await shop.dataSource.getRepository(UserCoupon).findBy({ couponId });
        expect(stored.map((c) => c.userId)).toEqual([second.id]);
        expect((await shop.dataSource.getRepository(Coupon).findOneByOrFail({ id: couponId })).issuedQuantity).toBe(1);
      });
    }

    if (strategy === 'queue') {
      it('a consumer stopped and restarted in the middle loses nothing and issues nothing twice', async () => {
        const couponId = await createCoupon(shop, 100);
        const consumers = apps[1].app.get(ConsumerGroups);
        const people = await crowd(apps[0], 21_000_000);
        const members = () => membersWithPartitions(engines.kafkaBrokers, env, COUPON_ISSUER_GROUP);
        // A request has its row once it is decided.
        const decided = () => shop.dataSource.getRepository(CouponIssueRequest).countBy({ couponId });
        // Both instances' consumers are in the group before the drop.
        await eventually(async () => expect(await members()).toBe(2), 60_000, 100);
        // Decisions wait until the stop is asked for, so it lands with a batch in hand, not after the drop.
        let release!: () => void;
        const stopAsked = new Promise<void>((resolve) => (release = resolve));
        const inHand: number[] = [];
        const gates = apps.map((app) => {
          const ledger = app.app.get(CouponLedger);
          const decideQueued = ledger.decideQueued.bind(ledger);
          return jest.spyOn(ledger, 'decideQueued').mockImplementation(async (id, events) => {
            if (id === couponId) inHand.push(events.length);
            await stopAsked;
            return decideQueued(id, events);
          });
        });
        let dropEnded = false;
        const drop = runDrop(apps, shop, couponId, people).finally(() => (dropEnded = true));
        try {
          await eventually(() => expect(inHand.length).toBeGreaterThan(0), 60_000, 10);
          const stopping = consumers.stop(COUPON_ISSUER_GROUP);
          expect(await decided()).toBe(0);
          release();
          await stopping;
        } finally {
          release();
          gates.forEach((gate) => gate.mockRestore());
        }
        expect(dropEnded).toBe(false);
        // It left the group (the other instance's consumer holds every partition), and joins it again.
        await eventually(async () => expect(await members()).toBe(1), 60_000, 100);
        consumers.start(COUPON_ISSUER_GROUP);
        await eventually(async () => expect(await members()).toBe(2), 60_000, 100);
        const decidedAtRejoin = await decided();
        const result = await drop;
        process.stdout.write(
          `[coupon-drop] consumer stopped with ${inHand[0]} requests in hand and none decided; ${decidedAtRejoin} of ${await decided()} decided when it rejoined\n`,
        );
        await expectExactDrop(result, 100, REFUSALS[strategy], apps[1].api);
        // A consumer restart is invisible to callers: every request was accepted (the codes say why not).
        expect({
          unavailable: result.unavailable,
          codes: [...result.unavailableCodes],
          dependencies: [...result.unavailableDependencies],
        }).toEqual({ unavailable: 0, codes: [], dependencies: [] });
      });

      const broker = localBroker(engines);
      itWithLocalBroker(broker)(
        'Kafka stopped: 503 QUEUE_UNAVAILABLE and no request kept; accepted and issued once Kafka is back',
        async () => {
          const couponId = await createCoupon(shop, 10);
          const [caller] = await callers(apps[0], 1, 22_000_000);
          const issue = () => apps[0].api.post(`/coupons/${couponId}/issue`, undefined, { token: caller.token });
          const requests = () => shop.dataSource.getRepository(CouponIssueRequest).findBy({ couponId });
          broker!.stop();
          try {
            const refused = await issue();
            expect(refused.status).toBe(503);
            expect(refused.body.code).toBe('QUEUE_UNAVAILABLE');
            expect(refused.headers.get('retry-after')).toBe('2'); // RETRY_AFTER_UNAVAILABLE_SECONDS
            // Nothing PENDING is left behind: only the mark that keeps a late message from being decided.
            expect((await requests()).map((r) => [r.userId, r.status])).toEqual([[caller.id, 'WITHDRAWN']]);
          } finally {
            broker!.start();
          }
          // The producer reconnects on its own; the caller's retry is queued and decided.
          let accepted!: Awaited<ReturnType<typeof issue>>;
          await eventually(
            async () => {
              accepted = await issue();
              expect(accepted.status).toBe(202);
            },
            90_000,
            1_000,
          );
          await eventually(async () => {
            const status = await apps[0].api.get(`/coupons/issue-requests/${accepted.body.requestId}`, { token: caller.token });
            expect(status.body.status).toBe('ISSUED');
          }, 60_000);
          expect((await requests()).map((r) => r.status).sort()).toEqual(['ISSUED', 'WITHDRAWN']);
          expect(await shop.dataSource.getRepository(UserCoupon).countBy({ couponId, userId: caller.id })).toBe(1);
        },
      );

      it('a request withdrawn after a 503 is never decided, even when its message reached the broker after all', async () => {
        const couponId = await createCoupon(shop, 10);
        const [late, next] = await callers(apps[0], 2, 23_000_000);
        // The ambiguous failure: the send timed out, the caller got 503 and the request was withdrawn, yet the broker kept the message.
        const requestId = apps[0].app.get(IssueRequestIds).issue(couponId, late.id);
        const requestedAt = new Date();
        expect(
          await apps[0].app.get(IssueRequestRepository).withdraw({ requestId, couponId, userId: late.id, requestedAt }, new Date()),
        ).toBe(true);
        const value = { requestId, couponId, userId: late.id, requestedAt: requestedAt.toISOString() };
        await apps[0].app.get(MessageBus).publish([{ topic: COUPON_ISSUE_TOPIC, key: String(couponId), value }]);
        // Same coupon, same partition, after it: once this one is decided, the late one was seen.
        const accepted = await apps[0].api.post(`/coupons/${couponId}/issue`, undefined, { token: next.token });
        expect(accepted.status).toBe(202);
        await eventually(async () => {
          const status = await apps[0].api.get(`/coupons/issue-requests/${accepted.body.requestId}`, { token: next.token });
          expect(status.body.status).toBe('ISSUED');
        }, 60_000);
        expect(await shop.dataSource.getRepository(UserCoupon).findBy({ couponId })).toEqual([
          expect.objectContaining({ userId: next.id }),
        ]);
        expect((await shop.dataSource.getRepository(CouponIssueRequest).findOneByOrFail({ requestId })).status).toBe('WITHDRAWN');
        // Its id was never given to anyone; asked anyway, it does not exist.
        expect((await apps[0].api.get(`/coupons/issue-requests/${requestId}`, { token: late.token })).status).toBe(404);
      });

      it('the status of an accepted request: PENDING before any row exists, 404 for a made-up id or for another user', async () => {
        const couponId = await createCoupon(shop, 10);
        const [owner, other] = await callers(apps[0], 2, 24_000_000);
        const consumers = apps.map((app) => app.app.get(ConsumerGroups));
        for (const groups of consumers) await groups.stop(COUPON_ISSUER_GROUP);
        let requestId = '';
        try {
          const accepted = await apps[1].api.post(`/coupons/${couponId}/issue`, undefined, { token: owner.token });
          expect(accepted.status).toBe(202);
          requestId = accepted.body.requestId;
          expect(await shop.dataSource.getRepository(CouponIssueRequest).countBy({ couponId })).toBe(0);
          // Any instance answers for it, from the id alone.
          const status = await apps[0].api.get(`/coupons/issue-requests/${requestId}`, { token: owner.token });
          expect(status.body).toEqual({ requestId, couponId, status: 'PENDING', reason: null, userCouponId: null });
          expect((await apps[0].api.get(`/coupons/issue-requests/${requestId}`, { token: other.token })).status).toBe(404);
          const madeUp = randomBytes(27).toString('base64url');
          expect((await apps[0].api.get(`/coupons/issue-requests/${madeUp}`, { token: owner.token })).status).toBe(404);
        } finally {
          for (const groups of consumers) groups.start(COUPON_ISSUER_GROUP);
        }
        await eventually(async () => {
          const status = await apps[0].api.get(`/coupons/issue-requests/${requestId}`, { token: owner.token });
          expect(status.body.status).toBe('ISSUED');
        }, 60_000);
      });
    }
  });
});

describeWithEngines('switching COUPON_ISSUE_STRATEGY between runs', () => {
  let env: IsolatedEnvironment;
  const running: TestApp[] = [];

  afterAll(async () => {
    for (const app of running) await app.close();
    await env?.cleanup();
  });

  it('queue → lock: requests still queued are decided, holders and stock carry over, only the answers change', async () => {
    // An instance that does not decide (the deprecated COUPON_ISSUE_CONSUMER_ENABLED=false; APP_ROLE=api is
    // tested in process-roles.test.ts): these requests are still in Kafka when the operator switches.
    env = await isolatedEnvironment('full', { ...ADMIN, COUPON_ISSUE_STRATEGY: 'queue', COUPON_ISSUE_CONSUMER_ENABLED: 'false' });
    const queueApp = await startApp(env.env);
    running.push(queueApp);
    const couponId = await createCoupon(await Shop.open(queueApp), 5);
    const people = await callers(queueApp, 8, 30_000_000);
    const accepted = await Promise.all(
      people.slice(0, 4).map((p) => queueApp.api.post(`/coupons/${couponId}/issue`, undefined, { token: p.token })),
    );
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202, 202]);

    await sleep(500);
    for (const [i, request] of accepted.entries()) {
      const status = await queueApp.api.get(`/coupons/issue-requests/${request.body.requestId}`, { token: people[i].token });
      expect(status.body.status).toBe('PENDING');
    }
    await queueApp.close();
    running.pop();

    const lockApp = await startApp({ ...env.env, COUPON_ISSUE_STRATEGY: 'lock', COUPON_ISSUE_CONSUMER_ENABLED: 'true' });
    running.push(lockApp);
    for (const [i, request] of accepted.entries()) {
      await eventually(
        async () => {
          const status = await lockApp.api.get(`/coupons/issue-requests/${request.body.requestId}`, { token: people[i].token });
          expect(status.body.status).toBe('ISSUED');
        },
        30_000,
        100,
      );
    }
    // Under lock, answers are immediate (201/409, never 202); the fence and the holders are the same.
    const again = await lockApp.api.post(`/coupons/${couponId}/issue`, undefined, { token: people[0].token });
    expect([again.status, again.body.code]).toEqual([409, 'COUPON_ALREADY_ISSUED']);
    const rest = [];
    for (const p of people.slice(4)) rest.push(await lockApp.api.post(`/coupons/${couponId}/issue`, undefined, { token: p.token }));
    expect(rest.map((r) => r.status)).toEqual([201, 409, 409, 409]);
    expect(rest.slice(1).every((r) => r.body.code === 'COUPON_SOLD_OUT')).toBe(true);
    const stored = await (await Shop.open(lockApp)).dataSource.getRepository(UserCoupon).findBy({ couponId });
    expect(stored.map((c) => c.userId).sort()).toEqual(
      people
        .slice(0, 5)
        .map((p) => p.id)
        .sort(),
    );
  });
});
