import { OutboxEvent } from '../../src/platform/outbox/outbox-event.entity';
import { ADMIN, inBatches, Shop } from '../support/commerce-fixtures';
import { callers } from '../support/coupon-drop';
import { eventually } from '../support/eventually';
import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

describe.each(profilesUnderTest())('commerce core (%s profile)', (profile) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    // Contention tests fire hundreds of requests at once at a 20-connection pool; on a CI machine
    // loaded by a second suite the last of them waits longer than the 3 s default and is shed with
    // 503, by design. This file checks what contention decides; shedding has its own test
    // (dependency-faults, "pool wait").
    env = await isolatedEnvironment(profile, { ...ADMIN, DB_ACQUIRE_TIMEOUT_MS: '20000' });
    app = await startApp(env.env);
    shop = await Shop.open(app);
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  describe('products', () => {
    it('lets only admins create and update, and anyone read', async () => {
      const user = await shop.user();
      expect((await shop.api.post('/admin/products', { name: 'X', price: 1, stock: 1, category: 'a' }, { token: user.token })).status).toBe(
        403,
      );
      expect((await shop.api.post('/admin/products', { name: 'X', price: 1, stock: 1, category: 'a' })).status).toBe(401);

      const created = await shop.product({ name: 'Kettle', price: 30_000, stock: 7, category: 'kitchen' });
      const updated = await shop.api.patch(
        `/admin/products/${created.id}`,
        { price: 28_000, status: 'STOPPED' },
        { token: shop.adminToken },
      );
      expect(updated.status).toBe(200);
      expect(updated.body).toEqual({ id: created.id, name: 'Kettle', price: 28_000, stock: 7, category: 'kitchen', status: 'STOPPED' });
      expect((await shop.api.get(`/products/${created.id}`)).body).toEqual(updated.body);

      const missing = await shop.api.get('/products/999999');
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('PRODUCT_NOT_FOUND');
      expect((await shop.api.get('/products/abc')).status).toBe(400);
      expect((await shop.api.patch('/admin/products/999999', { price: 1 }, { token: shop.adminToken })).body.code).toBe(
        'PRODUCT_NOT_FOUND',
      );
    });

    it('lists what is on sale, newest first, in cursor pages that neither skip nor repeat while products are added', async () => {
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await shop.product({ name: `Tea ${i}`, category: 'tea' }));
      const stopped = await shop.product({ name: 'Tea stopped', category: 'tea' });
      await shop.api.patch(`/admin/products/${stopped.id}`, { status: 'STOPPED' }, { token: shop.adminToken });
      type ProductPage = {
        status: number;
        body: { items: Array<{ id: number; category: string; status: string }>; nextCursor: string | null };
      };
      const seen: number[] = [];
      const pageSizes: number[] = [];
      let cursor: string | null = null;
      let added: { id: number } | undefined;
      do {
        const page: ProductPage = await shop.api.get(`/products?category=tea&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        pageSizes.push(page.body.items.length);
        page.body.items.forEach((item) => expect([item.category, item.status]).toEqual(['tea', 'ON_SALE']));
        seen.push(...page.body.items.map((item) => item.id));
        cursor = page.body.nextCursor;
        // A product added while paging is on the next first page, not in the pages after the cursor.
        added ??= await shop.product({ name: 'Tea new', category: 'tea' });
      } while (cursor);
      expect(pageSizes).toEqual([2, 2, 1]);
      expect(seen).toEqual(made.map((p) => p.id).reverse());
      const first: ProductPage = await shop.api.get('/products?category=tea&limit=2');
      expect(first.body.items.map((item) => item.id)).toEqual([added.id, made[4].id]);
      expect((await shop.api.get('/products?cursor=garbage')).status).toBe(400);
      expect((await shop.api.get('/products?limit=101')).status).toBe(400);
    });

    it('lists every product to admins, whatever its status, newest first, by cursor, and never from a stale copy', async () => {
      const [a, b, c] = [
        await shop.product({ category: 'admin-list' }),
        await shop.product({ category: 'admin-list' }),
        await shop.product({ category: 'admin-list' }),
      ];
      await shop.api.patch(`/admin/products/${b.id}`, { status: 'STOPPED' }, { token: shop.adminToken });
      const ids = async (query: string) => {
        const page = await shop.api.get(`/admin/products?category=admin-list${query}`, { token: shop.adminToken });
        expect(page.status).toBe(200);
        return {
          ids: (page.body.items as Array<{ id: number }>).map((item) => item.id),
          nextCursor: page.body.nextCursor as string | null,
        };
      };
      // The public list (now cached) leaves the stopped product out; the admin list has all three.
      expect((await shop.api.get('/products?category=admin-list')).body.items.map((item: { id: number }) => item.id)).toEqual([c.id, a.id]);
      const firstPage = await ids('&limit=2');
      expect(firstPage.ids).toEqual([c.id, b.id]);
      expect(await ids(`&limit=2&cursor=${firstPage.nextCursor}`)).toEqual({ ids: [a.id], nextCursor: null });
      expect((await ids('&status=STOPPED')).ids).toEqual([b.id]);
      expect((await ids('&status=ON_SALE')).ids).toEqual([c.id, a.id]);

      await shop.api.patch(`/admin/products/${b.id}`, { status: 'ON_SALE', price: 4_321 }, { token: shop.adminToken });
      expect((await ids('&status=STOPPED')).ids).toEqual([]);
      const listed = await shop.api.get('/admin/products?category=admin-list&status=ON_SALE', { token: shop.adminToken });
      expect(listed.body.items.find((item: { id: number }) => item.id === b.id)).toMatchObject({ price: 4_321, status: 'ON_SALE' });

      const user = await shop.user();
      expect((await shop.api.get('/admin/products', { token: user.token })).status).toBe(403);
      expect((await shop.api.get('/admin/products')).status).toBe(401);
      const wrong = await shop.api.get('/admin/products?status=SOLD_OUT', { token: shop.adminToken });
      expect([wrong.status, wrong.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    });
  });

  describe('points', () => {
    it('enforces the charge policy at its boundaries and changes nothing on rejection', async () => {
      const { token } = await shop.user();
      const attempts: Array<[unknown, number, string?]> = [
        [999, 400, 'INVALID_CHARGE_AMOUNT'],
        [1_000, 200],
        [1_500, 400, 'INVALID_CHARGE_AMOUNT'],
        [1_000_000, 200],
        [1_001_000, 400, 'INVALID_CHARGE_AMOUNT'],
        [0, 400, 'INVALID_CHARGE_AMOUNT'],
        [-1_000, 400, 'INVALID_CHARGE_AMOUNT'],
        ['1000', 400, 'VALIDATION_FAILED'],
        [1000.5, 400, 'VALIDATION_FAILED'],
        [null, 400, 'VALIDATION_FAILED'],
      ];
      for (const [amount, status, code] of attempts) {
        const response = await shop.api.post('/points/charge', { amount }, { token });
        expect({ amount, status: response.status, code: response.body.code }).toEqual({ amount, status, code });
      }
      expect(await shop.balance(token)).toBe(1_001_000);
      expect((await shop.api.post('/points/charge', { amount: 1_000, extra: 1 }, { token })).status).toBe(400);
      expect((await shop.api.request('POST', '/points/charge', { rawBody: '{"amount":', token })).status).toBe(400);
      expect(await shop.balance(token)).toBe(1_001_000);
      expect(await shop.history(token)).toHaveLength(2);
    });

    it("first charges of 100 new users at once: every one 200 with its balance (new accounts never deadlock each other's charge)", async () => {
      const people = await callers(app, 100, 30_000_000);
      const responses = await Promise.all(people.map(({ token }) => shop.api.post('/points/charge', { amount: 10_000 }, { token })));
      expect(responses.map((r) => [r.status, r.body.balance ?? r.body.code])).toEqual(people.map(() => [200, 10_000]));
      // The same callers again, concurrently with a second charge each: every account exists now.
      const again = await Promise.all(people.map(({ token }) => shop.api.post('/points/charge', { amount: 1_000 }, { token })));
      expect(again.map((r) => [r.status, r.body.balance ?? r.body.code])).toEqual(people.map(() => [200, 11_000]));
    });

    it('never lets the balance exceed 10,000,000', async () => {
      const { token } = await shop.user(9_500_000);
      const over = await shop.api.post('/points/charge', { amount: 501_000 }, { token });
      expect(over.status).toBe(409);
      expect(over.body.code).toBe('BALANCE_LIMIT_EXCEEDED');
      expect((await shop.api.post('/points/charge', { amount: 500_000 }, { token })).status).toBe(200);
      expect(await shop.balance(token)).toBe(10_000_000);
      expect((await shop.api.post('/points/charge', { amount: 1_000 }, { token })).body.code).toBe('BALANCE_LIMIT_EXCEEDED');
    });
  });

  describe('orders', () => {
    it('captures prices, applies a coupon with its caps, and pays in one step', async () => {
      const product = await shop.product({ price: 12_345, stock: 10 });
      const user = await shop.user(100_000);
      const userCouponId = await shop.grantCoupon(user.id, { discountType: 'PERCENT', discountValue: 10, maxDiscountAmount: 2_000 });
      const order = await shop.order(user.token, [{ productId: product.id, quantity: 2 }], userCouponId);
      expect(order).toMatchObject({
        status: 'PENDING',
        totalAmount: 24_690,
        discountAmount: 2_000,
        finalAmount: 22_690,
        userCouponId,
        paidAt: null,
      });

      // A later price change does not touch the order.
      await shop.api.patch(`/admin/products/${product.id}`, { price: 99_999 }, { token: shop.adminToken });
      const paid = await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token });
      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({ status: 'PAID', finalAmount: 22_690, paidAt: expect.any(String) });
      // Every endpoint shows the same instants, to the millisecond, whatever the engine stores.
      const reread = await shop.api.get(`/orders/${order.id}`, { token: user.token });
      expect(reread.body).toEqual({ ...order, status: 'PAID', paidAt: paid.body.paidAt });
      expect(Date.parse(paid.body.paidAt)).toBeGreaterThanOrEqual(Date.parse(reread.body.createdAt));
      expect(Math.abs(Date.parse(paid.body.paidAt) - Date.now())).toBeLessThan(60_000);
      expect(await shop.stock(product.id)).toBe(8);
      expect(await shop.balance(user.token)).toBe(100_000 - 22_690);

      // The coupon is spent: a second order with it is refused at creation.
      const again = await shop.api.post(
        '/orders',
        { items: [{ productId: product.id, quantity: 1 }], userCouponId },
        { token: user.token },
      );
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('COUPON_NOT_USABLE');
    });

    it('refuses coupons below their minimum, expired, or of another user', async () => {
      const product = await shop.product({ price: 10_000 });
      const owner = await shop.user();
      const other = await shop.user();
      const needsMore = await shop.grantCoupon(owner.id, { minOrderAmount: 50_000 });
      const expired = await shop.grantCoupon(owner.id, {}, new Date(Date.now() - 1000));
      const items = [{ productId: product.id, quantity: 1 }];
      expect((await shop.api.post('/orders', { items, userCouponId: needsMore }, { token: owner.token })).body.code).toBe(
        'COUPON_NOT_USABLE',
      );
      expect((await shop.api.post('/orders', { items, userCouponId: expired }, { token: owner.token })).body.code).toBe(
        'COUPON_NOT_USABLE',
      );
      const foreign = await shop.api.post('/orders', { items, userCouponId: needsMore }, { token: other.token });
      expect(foreign.status).toBe(404);
      expect(foreign.body.code).toBe('COUPON_NOT_FOUND');
    });

    it('rejects malformed and out-of-range orders with 400/404/409 and creates nothing', async () => {
      const product = await shop.product({ stock: 5 });
      const stopped = await shop.product();
      await shop.api.patch(`/admin/products/${stopped.id}`, { status: 'STOPPED' }, { token: shop.adminToken });
      const { token } = await shop.user();
      const line = (quantity: number, productId = product.id) => ({ productId, quantity });
      const cases: Array<[unknown, number, string]> = [
        [{ items: [line(0)] }, 400, 'VALIDATION_FAILED'],
        [{ items: [line(11)] }, 400, 'VALIDATION_FAILED'],
        [{ items: [] }, 400, 'VALIDATION_FAILED'],
        [{ items: Array.from({ length: 21 }, (_, i) => line(1, i + 1)) }, 400, 'VALIDATION_FAILED'],
        [{ items: [line(1), line(2)] }, 400, 'VALIDATION_FAILED'],
        [{ items: [{ productId: String(product.id), quantity: 1 }] }, 400, 'VALIDATION_FAILED'],
        [{ items: [line(1)], note: 'x' }, 400, 'VALIDATION_FAILED'],
        [{ items: [{ ...line(1), price: 1 }] }, 400, 'VALIDATION_FAILED'],
        [{ items: 'all' }, 400, 'VALIDATION_FAILED'],
        [{ items: [line(1, 999_999)] }, 404, 'PRODUCT_NOT_FOUND'],
        [{ items: [line(1, stopped.id)] }, 409, 'PRODUCT_NOT_ON_SALE'],
        [{ items: [line(6)] }, 409, 'INSUFFICIENT_STOCK'],
      ];
      for (const [body, status, code] of cases) {
        const response = await shop.api.post('/orders', body, { token });
        expect({ body, status: response.status, code: response.body.code }).toEqual({ body, status, code });
      }
      expect((await shop.api.request('POST', '/orders', { rawBody: '{"items":[', token })).status).toBe(400);
      expect((await shop.api.get('/orders', { token })).body.items).toEqual([]);
    });

    it("answers 404 for another user's order on every endpoint and lists only one's own", async () => {
      const product = await shop.product();
      const owner = await shop.user(50_000);
      const other = await shop.user(50_000);
      const order = await shop.order(owner.token, [{ productId: product.id, quantity: 1 }]);
      for (const [method, path] of [
        ['GET', `/orders/${order.id}`],
        ['POST', `/orders/${order.id}/pay`],
        ['POST', `/orders/${order.id}/cancel`],
      ]) {
        const response = await shop.api.request(method, path, { token: other.token });
        expect({ path, status: response.status, code: response.body.code }).toEqual({ path, status: 404, code: 'ORDER_NOT_FOUND' });
      }
      expect((await shop.api.get('/orders', { token: other.token })).body.items).toEqual([]);
      expect((await shop.api.get('/orders', { token: owner.token })).body.items.map((o: { id: number }) => o.id)).toEqual([order.id]);
      expect((await shop.history(other.token)).every((row) => row.orderId === null)).toBe(true);
      expect(await shop.balance(other.token)).toBe(50_000);
    });

    it('lists orders newest first in cursor pages, each with all its lines in order and nothing of another order', async () => {
      const [first, second] = [await shop.product({ price: 1_000 }), await shop.product({ price: 2_000 })];
      const user = await shop.user();
      const created = [];
      for (let quantity = 1; quantity <= 5; quantity++) {
        created.push(
          await shop.order(user.token, [
            { productId: second.id, quantity },
            { productId: first.id, quantity: quantity + 1 },
          ]),
        );
      }
      const seen: Array<{ id: number; items: Array<{ productId: number; quantity: number; lineTotal: number }> }> = [];
      const pageSizes: number[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
        const page = await shop.api.get(`/orders${query}`, { token: user.token });
        expect(page.status).toBe(200);
        pageSizes.push(page.body.items.length);
        seen.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(pageSizes).toEqual([2, 2, 1]);
      expect(seen.map((order) => order.id)).toEqual(created.map((order) => order.id).reverse());
      seen.forEach((order, index) => {
        const quantity = 5 - index;
        expect(order.items.map(({ productId, quantity, lineTotal }) => ({ productId, quantity, lineTotal }))).toEqual([
          { productId: second.id, quantity, lineTotal: 2_000 * quantity },
          { productId: first.id, quantity: quantity + 1, lineTotal: 1_000 * (quantity + 1) },
        ]);
      });
    });

    it('cancels a paid order restoring stock and points exactly, gives its coupon back, and records both events', async () => {
      const product = await shop.product({ price: 20_000, stock: 10 });
      const user = await shop.user(100_000);
      const userCouponId = await shop.grantCoupon(user.id, { discountType: 'FIXED', discountValue: 3_000 });
      const order = await shop.order(user.token, [{ productId: product.id, quantity: 3 }], userCouponId);
      expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token })).status).toBe(200);
      expect(await shop.stock(product.id)).toBe(7);
      expect(await shop.walletEntry(user.token, userCouponId)).toMatchObject({ status: 'USED', orderId: order.id });

      const cancelled = await shop.api.post(`/orders/${order.id}/cancel`, undefined, { token: user.token });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'CANCELLED', cancelledAt: expect.any(String), userCouponId });
      expect(await shop.stock(product.id)).toBe(10);
      expect(await shop.balance(user.token)).toBe(100_000);
      const history = await shop.history(user.token);
      expect(history.slice(0, 2).map((h) => [h.type, h.amount, h.orderId])).toEqual([
        ['REFUND', 57_000, order.id],
        ['USE', -57_000, order.id],
      ]);
      // The coupon is the user's to use again, on another order.
      expect(await shop.walletEntry(user.token, userCouponId)).toMatchObject({ status: 'AVAILABLE', usedAt: null, orderId: null });
      const next = await shop.order(user.token, [{ productId: product.id, quantity: 1 }], userCouponId);
      expect(next.discountAmount).toBe(3_000);
      expect((await shop.api.post(`/orders/${next.id}/pay`, undefined, { token: user.token })).status).toBe(200);

      // Cancelling again changes nothing: the coupon stays with the order that now uses it.
      const twice = await shop.api.post(`/orders/${order.id}/cancel`, undefined, { token: user.token });
      expect(twice.status).toBe(409);
      expect(twice.body.code).toBe('ORDER_NOT_CANCELLABLE');
      expect(await shop.walletEntry(user.token, userCouponId)).toMatchObject({ status: 'USED', orderId: next.id });

      const events = await shop.dataSource
        .getRepository(OutboxEvent)
        .find({ where: { messageKey: String(order.id) }, order: { id: 'ASC' } });
      expect(events.map((e) => e.eventType)).toEqual(['order.completed', 'order.cancelled']);
      expect(JSON.parse(events[0].payload)).toMatchObject({
        orderId: order.id,
        userId: user.id,
        items: [{ productId: product.id, quantity: 3, unitPrice: 20_000 }],
        totalAmount: 60_000,
        discountAmount: 3_000,
        finalAmount: 57_000,
        userCouponId,
        eventId: events[0].eventId,
      });
      expect(JSON.parse(events[1].payload)).toMatchObject({
        orderId: order.id,
        refundedAmount: 57_000,
        restoredUserCouponId: userCouponId,
      });
      // The cancelling request's id travels with its event (docs/events.md); no trace context while tracing is off.
      expect(JSON.parse(events[1].headers)).toEqual({
        'event-id': events[1].eventId,
        'event-type': 'order.cancelled',
        'occurred-at': expect.any(String),
        'x-request-id': cancelled.headers.get('x-request-id'),
      });
    });

    it('keeps a coupon that expired while the order was paid used when cancelling, and refunds the rest', async () => {
      const product = await shop.product({ price: 20_000, stock: 10 });
      const user = await shop.user(100_000);
      const userCouponId = await shop.grantCoupon(user.id, { discountType: 'FIXED', discountValue: 3_000 });
      const order = await shop.order(user.token, [{ productId: product.id, quantity: 1 }], userCouponId);
      expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token })).status).toBe(200);
      await shop.expireCoupon(userCouponId);

      const cancelled = await shop.api.post(`/orders/${order.id}/cancel`, undefined, { token: user.token });
      expect(cancelled.status).toBe(200);
      expect(await shop.balance(user.token)).toBe(100_000);
      expect(await shop.stock(product.id)).toBe(10);
      expect(await shop.walletEntry(user.token, userCouponId)).toMatchObject({ status: 'USED', orderId: order.id });
      const event = await shop.dataSource
        .getRepository(OutboxEvent)
        .findOneByOrFail({ messageKey: String(order.id), eventType: 'order.cancelled' });
      expect(JSON.parse(event.payload)).toMatchObject({ orderId: order.id, refundedAmount: 17_000, restoredUserCouponId: null });
    });

    it('pays and cancels a free order (price 0) with no point movement of 0 in the history', async () => {
      const product = await shop.product({ price: 0, stock: 5 });
      const user = await shop.user(10_000);
      const order = await shop.order(user.token, [{ productId: product.id, quantity: 2 }]);
      expect(order).toMatchObject({ totalAmount: 0, finalAmount: 0 });
      expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token })).status).toBe(200);
      expect(await shop.stock(product.id)).toBe(3);
      expect((await shop.api.post(`/orders/${order.id}/cancel`, undefined, { token: user.token })).status).toBe(200);
      expect(await shop.stock(product.id)).toBe(5);
      expect(await shop.balance(user.token)).toBe(10_000);
      expect((await shop.history(user.token)).filter((row) => row.orderId === order.id)).toEqual([]);
    });

    it('cancels a pending order without touching stock or points', async () => {
      const product = await shop.product({ stock: 4 });
      const user = await shop.user(50_000);
      const order = await shop.order(user.token, [{ productId: product.id, quantity: 2 }]);
      expect((await shop.api.post(`/orders/${order.id}/cancel`, undefined, { token: user.token })).body.status).toBe('CANCELLED');
      expect(await shop.stock(product.id)).toBe(4);
      expect(await shop.balance(user.token)).toBe(50_000);
      expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token })).body.code).toBe('ORDER_NOT_PENDING');
    });

    it('refuses payment without enough points and leaves everything unchanged', async () => {
      const product = await shop.product({ price: 30_000, stock: 5 });
      const user = await shop.user(20_000);
      const userCouponId = await shop.grantCoupon(user.id, { discountValue: 1_000 });
      const order = await shop.order(user.token, [{ productId: product.id, quantity: 1 }], userCouponId);
      const response = await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token });
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('INSUFFICIENT_BALANCE');
      expect((await shop.api.get(`/orders/${order.id}`, { token: user.token })).body.status).toBe('PENDING');
      expect(await shop.stock(product.id)).toBe(5);
      expect(await shop.balance(user.token)).toBe(20_000);
      // The coupon was not consumed: the rolled-back transaction took it back.
      await shop.api.post('/points/charge', { amount: 10_000 }, { token: user.token });
      expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token })).status).toBe(200);
      expect(await shop.dataSource.getRepository(OutboxEvent).countBy({ messageKey: String(order.id) })).toBe(1);
    });
  });

  describe('idempotency', () => {
    it('replays the first response for the same key and body, and refuses the key with another body', async () => {
      const { token } = await shop.user();
      const headers = { 'idempotency-key': 'charge-1' };
      const first = await shop.api.post('/points/charge', { amount: 5_000 }, { token, headers });
      const replay = await shop.api.post('/points/charge', { amount: 5_000 }, { token, headers });
      expect(first.status).toBe(200);
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual(first.body);
      expect(await shop.balance(token)).toBe(5_000);

      const reused = await shop.api.post('/points/charge', { amount: 6_000 }, { token, headers });
      expect(reused.status).toBe(422);
      expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await shop.balance(token)).toBe(5_000);

      // Keys are per user: another user may use the same key.
      const other = await shop.user();
      expect((await shop.api.post('/points/charge', { amount: 1_000 }, { token: other.token, headers })).body.balance).toBe(1_000);
      // A bad key is a validation error.
      expect(
        (await shop.api.post('/points/charge', { amount: 1_000 }, { token, headers: { 'idempotency-key': 'x'.repeat(256) } })).status,
      ).toBe(400);
    });

    it('replays order creation, payment and its failure without doing the work twice', async () => {
      const product = await shop.product({ price: 10_000, stock: 10 });
      const user = await shop.user(10_000);
      const create = (key: string) =>
        shop.api.post(
          '/orders',
          { items: [{ productId: product.id, quantity: 1 }] },
          { token: user.token, headers: { 'idempotency-key': key } },
        );
      const first = await create('order-1');
      const second = await create('order-1');
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect((await shop.api.get('/orders', { token: user.token })).body.items).toHaveLength(1);

      const pay = () =>
        shop.api.post(`/orders/${first.body.id}/pay`, undefined, { token: user.token, headers: { 'idempotency-key': 'pay-1' } });
      const paid = await pay();
      expect(paid.status).toBe(200);
      expect(await pay()).toMatchObject({ status: 200, body: paid.body });
      expect(await shop.balance(user.token)).toBe(0);
    });

    it('replays a refusal with its status and marks every replay, while the work stays undone', async () => {
      const product = await shop.product({ price: 10_000, stock: 10 });
      const user = await shop.user();
      const order = await shop.order(user.token, [{ productId: product.id, quantity: 1 }]);
      const pay = (key: string) =>
        shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token, headers: { 'idempotency-key': key } });
      const refused = await pay('pay-broke');
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('INSUFFICIENT_BALANCE');
      expect(refused.headers.get('idempotent-replayed')).toBeNull();

      await shop.api.post('/points/charge', { amount: 10_000 }, { token: user.token });
      const replayed = await pay('pay-broke');
      expect(replayed.status).toBe(409);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      expect(replayed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      // The stored problem is the refusal's, without `instance` (a pre-existing difference).
      expect(replayed.body).toEqual({ ...refused.body, instance: undefined });
      expect((await shop.api.get(`/orders/${order.id}`, { token: user.token })).body.status).toBe('PENDING');

      const paid = await pay('pay-funded');
      expect(paid.status).toBe(200);
      expect(paid.headers.get('idempotent-replayed')).toBeNull();
      expect(await pay('pay-funded')).toMatchObject({ status: 200, body: paid.body });
      expect(await shop.balance(user.token)).toBe(0);
    });

    it('refuses a malformed key with a 400 that names the header', async () => {
      const { token } = await shop.user();
      const bad = await shop.api.post('/points/charge', { amount: 1_000 }, { token, headers: { 'idempotency-key': 'x'.repeat(256) } });
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
      expect(await shop.balance(token)).toBe(0);
    });

    it('runs concurrent requests with one key once', async () => {
      const { token } = await shop.user();
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          shop.api.post('/points/charge', { amount: 7_000 }, { token, headers: { 'idempotency-key': 'burst' } }),
        ),
      );
      for (const response of responses) {
        expect([200, 409]).toContain(response.status);
        if (response.status === 409) expect(response.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
        else expect(response.body.balance).toBe(7_000);
      }
      expect(await shop.balance(token)).toBe(7_000);
      expect(await shop.history(token)).toHaveLength(1);
    });
  });

  describe('under contention', () => {
    it('500 concurrent payments of distinct orders for a product with stock 100: exactly 100 paid', async () => {
      const product = await shop.product({ price: 10_000, stock: 100 });
      // Ten buyers with points for every order they place: only the stock can refuse a payment.
      const buyers = await inBatches(Array.from({ length: 10 }), 10, () => shop.user(500_000));
      const orders = await inBatches(
        Array.from({ length: 500 }, (_, i) => buyers[i % 10]),
        25,
        async (buyer) => ({
          buyer,
          order: await shop.order(buyer.token, [{ productId: product.id, quantity: 1 }]),
        }),
      );

      const responses = await Promise.all(
        orders.map(({ buyer, order }) => shop.api.post(`/orders/${order.id}/pay`, undefined, { token: buyer.token })),
      );

      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(100);
      expect(statuses.filter((s) => s === 409)).toHaveLength(400);
      responses.filter((r) => r.status === 409).forEach((r) => expect(r.body.code).toBe('INSUFFICIENT_STOCK'));
      expect(await shop.stock(product.id)).toBe(0);

      // The 400 refused orders are untouched, and every buyer paid exactly for their paid orders.
      const paidPerBuyer = new Map<string, number>();
      orders.forEach(({ buyer }, i) => {
        if (responses[i].status === 200) paidPerBuyer.set(buyer.token, (paidPerBuyer.get(buyer.token) ?? 0) + 1);
      });
      await inBatches(orders, 25, async ({ buyer, order }, i) => {
        const current = (await shop.api.get(`/orders/${order.id}`, { token: buyer.token })).body.status;
        expect(current).toBe(responses[i].status === 200 ? 'PAID' : 'PENDING');
      });
      for (const buyer of buyers) {
        expect(await shop.balance(buyer.token)).toBe(500_000 - 10_000 * (paidPerBuyer.get(buyer.token) ?? 0));
      }
    });

    it('200 concurrent charges and payments for one user keep balance = sum of history, never below 0', async () => {
      const product = await shop.product({ price: 7_000, stock: 1_000 });
      const user = await shop.user(5_000);
      const orders = await inBatches(Array.from({ length: 100 }), 20, () =>
        shop.order(user.token, [{ productId: product.id, quantity: 1 }]),
      );

      const requests = [
        ...orders.map((order) => () => shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token })),
        ...Array.from({ length: 100 }, () => () => shop.api.post('/points/charge', { amount: 3_000 }, { token: user.token })),
      ].sort(() => Math.random() - 0.5);
      const responses = await Promise.all(requests.map((send) => send()));
      responses.forEach((r) => expect([200, 409]).toContain(r.status));
      responses.filter((r) => r.status === 409).forEach((r) => expect(r.body.code).toBe('INSUFFICIENT_BALANCE'));

      const history = await shop.history(user.token);
      const balance = await shop.balance(user.token);
      expect(history.reduce((sum, row) => sum + row.amount, 0)).toBe(balance);
      expect(history.every((row) => row.balanceAfter >= 0)).toBe(true);
      const paid = history.filter((row) => row.type === 'USE').length;
      expect(history.filter((row) => row.type === 'CHARGE')).toHaveLength(101);
      expect(balance).toBe(5_000 + 100 * 3_000 - paid * 7_000);
      expect(await shop.stock(product.id)).toBe(1_000 - paid);
    });

    it('the same paid order cancelled twice at once: one 200, one 409, stock, points and coupon returned once', async () => {
      const product = await shop.product({ price: 10_000, stock: 10 });
      const user = await shop.user(100_000);
      const userCouponId = await shop.grantCoupon(user.id, { discountType: 'FIXED', discountValue: 1_000 });
      const order = await shop.order(user.token, [{ productId: product.id, quantity: 2 }], userCouponId);
      expect((await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token })).status).toBe(200);

      const responses = await Promise.all([1, 2].map(() => shop.api.post(`/orders/${order.id}/cancel`, undefined, { token: user.token })));
      expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(responses.find((r) => r.status === 409)!.body.code).toBe('ORDER_NOT_CANCELLABLE');
      expect(await shop.balance(user.token)).toBe(100_000);
      expect((await shop.history(user.token)).filter((row) => row.type === 'REFUND')).toHaveLength(1);
      expect(await shop.stock(product.id)).toBe(10);
      expect(await shop.walletEntry(user.token, userCouponId)).toMatchObject({ status: 'AVAILABLE', orderId: null });
      expect(await shop.dataSource.getRepository(OutboxEvent).countBy({ messageKey: String(order.id), eventType: 'order.cancelled' })).toBe(
        1,
      );
    });

    it('the same order paid twice at once: one 200, one 409, points deducted once', async () => {
      const product = await shop.product({ price: 10_000 });
      const user = await shop.user(100_000);
      const order = await shop.order(user.token, [{ productId: product.id, quantity: 1 }]);
      const responses = await Promise.all([1, 2].map(() => shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token })));
      expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(responses.find((r) => r.status === 409)!.body.code).toBe('ORDER_NOT_PENDING');
      expect(await shop.balance(user.token)).toBe(90_000);
      expect((await shop.history(user.token)).filter((row) => row.type === 'USE')).toHaveLength(1);
    });
  });
});

describe.each(profilesUnderTest())('pending order TTL (%s profile)', (profile) => {
  const TTL_SECONDS = 1;
  let env: IsolatedEnvironment;
  let app: TestApp;

  beforeAll(async () => {
    env = await isolatedEnvironment(profile, { ...ADMIN, ORDER_PENDING_TTL_SECONDS: String(TTL_SECONDS) });
    app = await startApp(env.env);
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('refuses to pay an expired order and the sweep cancels it', async () => {
    const shop = await Shop.open(app);
    const product = await shop.product();
    const user = await shop.user(50_000);
    const order = await shop.order(user.token, [{ productId: product.id, quantity: 1 }]);
    // The server stamped the expiry (placed + TTL) before it answered: one TTL after the answer, it has passed.
    await new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 1000 + 1));
    const late = await shop.api.post(`/orders/${order.id}/pay`, undefined, { token: user.token });
    expect(late.status).toBe(409);
    expect(['ORDER_EXPIRED', 'ORDER_NOT_PENDING']).toContain(late.body.code);
    await eventually(async () => {
      const current = await shop.api.get(`/orders/${order.id}`, { token: user.token });
      expect(current.body).toMatchObject({ status: 'CANCELLED', cancelledAt: expect.any(String) });
    }, 10_000);
    expect(await shop.balance(user.token)).toBe(50_000);
    expect(await shop.stock(product.id)).toBe(100);
  });
});
