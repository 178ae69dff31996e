import type { Socket } from 'node:net';
import type Redis from 'ioredis';
import { REDIS } from '../../src/platform/redis/redis.module';
import { ADMIN, Shop } from '../support/commerce-fixtures';
import { callers, createCoupon, dropOfWaves, type DropResult, expectExactDrop, runDrop } from '../support/coupon-drop';
import { eventually } from '../support/eventually';
import { describeWithEngines, isolatedEnvironment, type IsolatedEnvironment } from '../support/real-engines';
import { freePort } from '../../support/free-port';
import { RedisProcess } from '../support/redis-processes';
import { startApp, type TestApp } from '../support/test-app';

/** The server port the app's shared Redis connection is connected to. */
function connectedPort(app: TestApp): number | undefined {
  return (app.app.get<Redis>(REDIS).stream as Socket | undefined)?.remotePort;
}

describeWithEngines('Redis found through Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_MASTER)', (engines) => {
  let env: IsolatedEnvironment;
  let sentinel: RedisProcess;
  let master: RedisProcess;
  let replica: RedisProcess;
  const apps: TestApp[] = [];
  const enginesRedis = new URL(engines.redisUrl);
  const enginesRedisPort = Number(enginesRedis.port || 6379);

  beforeAll(async () => {
    // A master and replica of this test's own, to fail over without touching the engines' Redis.
    master = await RedisProcess.server();
    replica = await RedisProcess.server(master.port);
    // One Sentinel (quorum 1, on 127.0.0.1) watching the engines' Redis as "commerce" and the pair as "commerce-failover".
    sentinel = await RedisProcess.sentinel({
      commerce: { host: enginesRedis.hostname === 'localhost' ? '127.0.0.1' : enginesRedis.hostname, port: enginesRedisPort },
      'commerce-failover': { host: '127.0.0.1', port: master.port },
    });
    // REDIS_URL names a port nothing listens on: the app can only reach Redis through the Sentinel.
    env = await isolatedEnvironment('full', {
      ...ADMIN,
      COUPON_ISSUE_STRATEGY: 'lock',
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
      LOG_LEVEL: 'warn',
    });
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await env?.cleanup();
    for (const process of [sentinel, replica, master]) await process?.stop();
  });

  it('asks the Sentinel for the master: ready, and a lock-strategy drop issues exactly its stock', async () => {
    const app = await startApp({ ...env.env, REDIS_SENTINEL_MASTER: 'commerce' }, { captureLogs: true });
    apps.push(app);
    await eventually(async () => expect((await app.api.get('/health/ready')).status).toBe(200), 10_000);
    expect(connectedPort(app)).toBe(enginesRedisPort);
    const shop = await Shop.open(app);
    const couponId = await createCoupon(shop, 10);
    const people = await callers(app, 40, 70_000_000);
    const drop = await runDrop([app], shop, couponId, [...people, ...people.slice(0, 10)]);
    expect([...drop.unavailableCodes].filter((code) => code !== 'COUPON_BUSY')).toEqual([]);
    await expectExactDrop(drop, 10, ['COUPON_SOLD_OUT', 'COUPON_ALREADY_ISSUED', 'COUPON_BUSY'], app.api);
    const again = await app.api.post(`/coupons/${couponId}/issue`, undefined, { token: people[0].token });
    expect(again.status).toBe(409);

    // A duplicate (the pub/sub subscribers are) keeps the Sentinel settings: it finds the same master.
    const duplicate = app.app.get<Redis>(REDIS).duplicate();
    try {
      await duplicate.connect();
      expect(await duplicate.ping()).toBe('PONG');
      expect(duplicate.stream.remotePort).toBe(enginesRedisPort);
    } finally {
      duplicate.disconnect();
    }
  });

  it('follows a failover to the promoted replica; the drop goes on and still issues exactly its stock', async () => {
    const app = await startApp({ ...env.env, REDIS_SENTINEL_MASTER: 'commerce-failover' }, { captureLogs: true });
    apps.push(app);
    await eventually(async () => expect((await app.api.get('/health/ready')).status).toBe(200), 10_000);
    expect(connectedPort(app)).toBe(master.port);
    const shop = await Shop.open(app);
    const stock = 30;
    const couponId = await createCoupon(shop, stock);
    const people = await callers(app, 200, 71_000_000);
    const waves: DropResult[] = [await runDrop([app], shop, couponId, people.slice(0, 10))];

    const admin = sentinel.client();
    try {
      // The Sentinel learns of the replica from the master's INFO (every 10 s at first).
      await eventually(
        async () => expect(((await admin.call('SENTINEL', 'REPLICAS', 'commerce-failover')) as unknown[]).length).toBe(1),
        30_000,
        200,
      );
      expect(await admin.call('SENTINEL', 'FAILOVER', 'commerce-failover')).toBe('OK');
      await eventually(
        async () =>
          expect(await admin.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'commerce-failover')).toEqual(['127.0.0.1', String(replica.port)]),
        30_000,
        100,
      );
    } finally {
      admin.disconnect();
    }
    // The app moves to the new master by itself (the Sentinel announces +switch-master, and disconnects clients of the old one).
    await eventually(
      async () => {
        expect(connectedPort(app)).toBe(replica.port);
        expect((await app.api.get('/health/ready')).status).toBe(200);
      },
      30_000,
      200,
    );
    // Callers keep coming until the stock is gone; one told the lock service was away (503) retries as a new wave.
    for (let next = 10; next < people.length && waves.reduce((n, w) => n + w.issued.size, 0) < stock; next += 20) {
      waves.push(await runDrop([app], shop, couponId, people.slice(next, next + 20)));
    }
    expect(
      [...new Set(waves.flatMap((w) => [...w.unavailableCodes]))].filter((code) => !['COUPON_BUSY', 'LOCK_UNAVAILABLE'].includes(code)),
    ).toEqual([]);
    await expectExactDrop(dropOfWaves(waves), stock, ['COUPON_SOLD_OUT', 'COUPON_BUSY', 'LOCK_UNAVAILABLE'], app.api);
  });
});
