import { describeWithEngines, isolatedEnvironment, type IsolatedEnvironment, withMysql } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

const ADMIN = { ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'admin-password' };
const COUPON = { name: 'One copy', discountType: 'FIXED', discountValue: 1_000, minOrderAmount: 0, validDays: 7 };

/** Boots the app, creates one coupon and two users, and returns what the tests need. */
async function shop(env: IsolatedEnvironment, totalQuantity: number) {
  const app = await startApp(env.env);
  const admin = (await app.api.post('/auth/login', { email: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD })).body
    .accessToken as string;
  const coupon = await app.api.post('/admin/coupons', { ...COUPON, totalQuantity }, { token: admin });
  const first = await app.api.login('first@example.com');
  const second = await app.api.login('second@example.com');
  return { app, couponId: coupon.body.id as number, first, second };
}

describeWithEngines('coupon hints in a Redis that outlives its database (full profile)', (engines) => {
  let original: IsolatedEnvironment;
  let fresh: IsolatedEnvironment;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    original = await isolatedEnvironment('full', ADMIN);
    // A second database sharing the first one's Redis keys, as after a reset or with two databases on one Redis.
    fresh = await isolatedEnvironment('full', { ...ADMIN, REDIS_KEY_PREFIX: original.env.REDIS_KEY_PREFIX });
  });

  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await fresh?.cleanup();
    await original?.cleanup();
  });

  it('never refuses with hints written for another database, or for a database before its restore', async () => {
    // The first history: coupon 1 sold out to user 2; Redis holds "user 2 has it" and "sold out".
    const before = await shop(original, 1);
    apps.push(before.app);
    expect(before.couponId).toBe(1);
    expect((await before.app.api.post(`/coupons/1/issue`, undefined, { token: before.first })).status).toBe(201);
    expect((await before.app.api.post(`/coupons/1/issue`, undefined, { token: before.second })).body.code).toBe('COUPON_SOLD_OUT');
    expect((await before.app.api.post(`/coupons/1/issue`, undefined, { token: before.first })).body.code).toBe('COUPON_ALREADY_ISSUED');
    await before.app.close();

    // A fresh database with the same ids on the same Redis: both users get their copy.
    const after = await shop(fresh, 2);
    apps.push(after.app);
    expect(after.couponId).toBe(1);
    const firstAgain = await after.app.api.post(`/coupons/1/issue`, undefined, { token: after.first });
    const secondAgain = await after.app.api.post(`/coupons/1/issue`, undefined, { token: after.second });
    expect([firstAgain.status, secondAgain.status]).toEqual([201, 201]);
    await after.app.close();

    // The original database restored from a backup taken before the copy was issued.
    await withMysql(
      engines,
      async (connection) => {
        await connection.query('DELETE FROM user_coupons');
        await connection.query('UPDATE coupons SET issued_quantity = 0');
      },
      original.env.DB_NAME,
    );
    const restored = await startApp(original.env);
    apps.push(restored);
    const token = (await restored.api.post('/auth/login', { email: 'second@example.com', password: 'password-123' })).body.accessToken;
    const issued = await restored.api.post(`/coupons/1/issue`, undefined, { token });
    expect({ status: issued.status, code: issued.body.code }).toEqual({ status: 201, code: undefined });
  });
});
