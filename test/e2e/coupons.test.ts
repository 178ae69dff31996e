import { randomBytes } from 'node:crypto';
import { ADMIN, Shop } from '../support/commerce-fixtures';
import { callers, createCoupon, runDrop } from '../support/coupon-drop';
import { eventually } from '../support/eventually';
import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

const cases = profilesUnderTest().flatMap((profile) => (['lock', 'queue'] as const).map((strategy) => [profile, strategy] as const));

describe.each(cases)('coupons (%s profile, %s strategy)', (profile, strategy) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    env = await isolatedEnvironment(profile, { ...ADMIN, COUPON_ISSUE_STRATEGY: strategy });
    app = await startApp(env.env);
    shop = await Shop.open(app);
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('creates campaigns (admin only) and shows their stock to anyone', async () => {
    const user = await shop.user();
    const body = {
      name: 'Ten',
      discountType: 'PERCENT',
      discountValue: 10,
      totalQuantity: 5,
      minOrderAmount: 10_000,
      maxDiscountAmount: 3_000,
      validDays: 3,
    };
    expect((await shop.api.post('/admin/coupons', body, { token: user.token })).status).toBe(403);
    const created = await shop.api.post('/admin/coupons', body, { token: shop.adminToken });
    expect(created.status).toBe(201);
    const read = await shop.api.get(`/coupons/${created.body.id}`);
    expect(read.body).toEqual({
      id: created.body.id,
      ...body,
      issuedQuantity: 0,
      remainingQuantity: 5,
      issueStartsAt: null,
      issueEndsAt: null,
    });
    expect((await shop.api.get('/coupons/999999')).body.code).toBe('COUPON_NOT_FOUND');
    for (const bad of [
      { ...body, discountValue: 101 },
      { ...body, totalQuantity: 0 },
      { ...body, discountType: 'FREE' },
      { ...body, validDays: '3' },
    ]) {
      expect((await shop.api.post('/admin/coupons', bad, { token: shop.adminToken })).status).toBe(400);
    }
  });

  it('issues a copy, refuses a second one, and lists it in /users/me/coupons', async () => {
    const couponId = await createCoupon(shop, 3);
    const user = await shop.user();
    const first = await shop.api.post(`/coupons/${couponId}/issue`, undefined, { token: user.token });
    expect(first.status).toBe(strategy === 'lock' ? 201 : 202);
    if (strategy === 'queue') {
      expect(first.headers.get('location')).toBe(`/coupons/issue-requests/${first.body.requestId}`);
      expect(first.body).toEqual({ requestId: expect.any(String), status: 'PENDING' });
      await eventually(async () => {
        const status = await shop.api.get(`/coupons/issue-requests/${first.body.requestId}`, { token: user.token });
        expect(status.body).toMatchObject({
          requestId: first.body.requestId,
          couponId,
          status: 'ISSUED',
          reason: null,
          userCouponId: expect.any(Number),
        });
      }, 20_000);
      const other = await shop.user();
      expect((await shop.api.get(`/coupons/issue-requests/${first.body.requestId}`, { token: other.token })).status).toBe(404);
      const madeUp = await shop.api.get(`/coupons/issue-requests/${randomBytes(27).toString('base64url')}`, { token: user.token });
      expect(madeUp.status).toBe(404);
      expect((await shop.api.get('/coupons/issue-requests/not-a-request', { token: user.token })).body.code).toBe('VALIDATION_FAILED');
    }
    const again = await shop.api.post(`/coupons/${couponId}/issue`, undefined, { token: user.token });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('COUPON_ALREADY_ISSUED');
    const mine = await shop.api.get('/users/me/coupons?status=AVAILABLE', { token: user.token });
    expect(mine.body.items).toEqual([expect.objectContaining({ couponId, status: 'AVAILABLE', usedAt: null, orderId: null })]);
    expect((await shop.api.get(`/coupons/${couponId}`)).body.remainingQuantity).toBe(2);
  });

  it('answers a retried issue with its first answer under the same Idempotency-Key', async () => {
    const couponId = await createCoupon(shop, 3);
    const user = await shop.user();
    const issue = () =>
      shop.api.post(`/coupons/${couponId}/issue`, undefined, { token: user.token, headers: { 'idempotency-key': 'drop-1' } });
    const first = await issue();
    expect(first.status).toBe(strategy === 'lock' ? 201 : 202);
    const retry = await issue();
    expect(retry.status).toBe(first.status);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    await eventually(async () => expect((await shop.api.get(`/coupons/${couponId}`)).body.issuedQuantity).toBe(1), 20_000);
  });

  it('refuses outside the issue period and for unknown coupons', async () => {
    const later = await createCoupon(shop, 5, { issueStartsAt: new Date(Date.now() + 3_600_000).toISOString() });
    const user = await shop.user();
    expect((await shop.api.post(`/coupons/${later}/issue`, undefined, { token: user.token })).body.code).toBe('COUPON_NOT_IN_ISSUE_PERIOD');
    expect((await shop.api.post('/coupons/999999/issue', undefined, { token: user.token })).body.code).toBe('COUPON_NOT_FOUND');
  });

  it('issues exactly the stock to concurrent callers, at most one per user, each success stored', async () => {
    const couponId = await createCoupon(shop, 20);
    const people = await callers(app, 100, profile === 'full' ? 2_000_000 : 3_000_000);
    const requests = [...people, ...people.slice(0, 50)].sort(() => Math.random() - 0.5);
    const result = await runDrop([app], shop, couponId, requests);
    expect(result.issued.size).toBe(20);
    expect(result.stored).toHaveLength(20);
    expect(new Set(result.stored.map((c) => c.userId)).size).toBe(20);
    expect(new Map(result.stored.map((c) => [c.userId, c.id]))).toEqual(result.issued);
    expect(result.unavailable).toBe(0);
    expect([...result.rejections.keys()].every((code) => ['COUPON_SOLD_OUT', 'COUPON_ALREADY_ISSUED'].includes(code))).toBe(true);
    expect((await shop.api.get(`/coupons/${couponId}`)).body).toMatchObject({ issuedQuantity: 20, remainingQuantity: 0 });
    // Once sold out, the answer comes from the hint without the lock or the queue.
    const late = (await callers(app, 1, 4_000_000))[0];
    expect((await shop.api.post(`/coupons/${couponId}/issue`, undefined, { token: late.token })).body.code).toBe('COUPON_SOLD_OUT');
  });
});
