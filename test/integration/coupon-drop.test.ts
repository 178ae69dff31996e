import { IssueRequestConsumer } from '../../src/modules/coupon/issuance/issue-request.consumer';
import { ADMIN, Shop } from '../support/commerce-fixtures';
import { callers, createCoupon, runDrop } from '../support/coupon-drop';
import { describeWithEngines, isolatedEnvironment, IsolatedEnvironment } from '../support/real-engines';
import { TcpProxy } from '../support/tcp-proxy';
import { startApp, TestApp } from '../support/test-app';

/** 2,000 requests from 1,500 distinct users (500 of them twice), shuffled. */
async function crowd(app: TestApp, firstId: number) {
  const people = await callers(app, 1_500, firstId);
  return [...people, ...people.slice(0, 500)].sort(() => Math.random() - 0.5);
}

function expectExact(result: Awaited<ReturnType<typeof runDrop>>, stock: number) {
  expect(result.issued.size).toBe(stock);
  expect(result.stored).toHaveLength(stock);
  expect(new Set(result.stored.map((c) => c.userId)).size).toBe(stock);
  // Every success has a stored copy and every stored copy had a success.
  expect(new Map(result.stored.map((c) => [c.userId, c.id]))).toEqual(result.issued);
}

describe.each(['lock', 'queue'] as const)('coupon drop on real engines (%s strategy)', (strategy) => {
  describeWithEngines(`two instances, ${strategy}`, (engines) => {
    let env: IsolatedEnvironment;
    let apps: TestApp[] = [];
    let redisProxy: TcpProxy;
    let shop: Shop;

    beforeAll(async () => {
      const redisUrl = new URL(engines.redisUrl);
      redisProxy = await new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379)).start();
      redisUrl.hostname = '127.0.0.1';
      redisUrl.port = String(redisProxy.port);
      env = await isolatedEnvironment('full', { ...ADMIN, COUPON_ISSUE_STRATEGY: strategy, REDIS_URL: redisUrl.toString(), });
      apps = [await startApp(env.env), await startApp(env.env)];
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
      expectExact(result, 100);
      // Under the lock, a caller that waited COUPON_LOCK_WAIT_MS in vain is told to retry (503 COUPON_BUSY).
      if (strategy === 'queue') expect(result.unavailable).toBe(0);
      else expect([...result.unavailableCodes].every((code) => code === 'COUPON_BUSY')).toBe(true);
      const rejected = (result.rejections.get('COUPON_SOLD_OUT') ?? 0) + (result.rejections.get('COUPON_ALREADY_ISSUED') ?? 0);
      expect(rejected + result.unavailable).toBe(1_900);
    });

    if (strategy === 'queue') {
      it('a consumer stopped and restarted in the middle loses nothing and issues nothing twice', async () => {
        const couponId = await createCoupon(shop, 100);
        const consumer = apps[1].app.get(IssueRequestConsumer);
        const people = await crowd(apps[0], 21_000_000);
        const drop = runDrop(apps, shop, couponId, people);
        setTimeout(() => void consumer.beforeApplicationShutdown().then(() => consumer.onApplicationBootstrap()), 200);
        const result = await drop;
        expectExact(result, 100);
        expect(result.unavailable).toBe(0);
      });
    }
  });
});
