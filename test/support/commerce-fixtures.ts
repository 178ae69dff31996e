import { randomBytes } from 'node:crypto';
import { getDataSourceToken } from '@nestjs/typeorm';
import { type DataSource } from 'typeorm';
import { Coupon, UserCoupon } from '../../src/modules/coupon/entities/coupon.entities';
import { TokenService } from '../../src/platform/auth/token.service';
import { type Api, type TestApp } from './test-app';

export const ADMIN = { ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'admin-password' };

let userCounter = 0;

type HistoryRow = { type: string; amount: number; balanceAfter: number; orderId: number | null };

// Tests have always taken it from here; it is the tools' one worker pool.
export { inBatches } from '../../support/in-batches';

export class Shop {
  constructor(
    readonly app: TestApp,
    readonly adminToken: string,
  ) {}

  static async open(app: TestApp): Promise<Shop> {
    const login = await app.api.post('/auth/login', { email: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD });
    return new Shop(app, login.body.accessToken);
  }

  get api(): Api {
    return this.app.api;
  }

  async product(
    fields: Partial<{ name: string; price: number; stock: number; category: string }> = {},
  ): Promise<{ id: number; price: number }> {
    const response = await this.api.post(
      '/admin/products',
      { name: 'Widget', price: 10_000, stock: 100, category: 'misc', ...fields },
      { token: this.adminToken },
    );
    if (response.status !== 201) throw new Error(`product: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** A new user with `points` charged; returns its token and id. */
  async user(points = 0): Promise<{ token: string; id: number }> {
    const email = `user${++userCounter}-${Date.now()}@example.com`;
    const signup = await this.api.post('/auth/signup', { email, password: randomBytes(12).toString('base64url'), name: 'Tester' });
    if (signup.status !== 201) throw new Error(`signup: ${signup.status} ${JSON.stringify(signup.body)}`);
    const id = signup.body.id as number;
    // The token comes from the app's own TokenService: logging in (tested in auth.test.ts) would cost
    // one more argon2 verification per user, the largest share of the suite's set-up time.
    const { accessToken: token } = await this.app.app.get(TokenService).issue({ id, role: 'user' });
    for (let left = points; left > 0; left -= 1_000_000) {
      const charged = await this.api.post('/points/charge', { amount: Math.min(left, 1_000_000) }, { token });
      if (charged.status !== 200) throw new Error(`charge: ${charged.status} ${JSON.stringify(charged.body)}`);
    }
    return { token, id };
  }

  async order(token: string, items: Array<{ productId: number; quantity: number }>, userCouponId?: number) {
    const response = await this.api.post('/orders', { items, ...(userCouponId ? { userCouponId } : {}) }, { token });
    if (response.status !== 201) throw new Error(`order: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as { id: number; finalAmount: number; discountAmount: number };
  }

  async balance(token: string): Promise<number> {
    return (await this.api.get('/points', { token })).body.balance;
  }

  async stock(productId: number): Promise<number> {
    return (await this.api.get(`/products/${productId}`)).body.stock;
  }

  /** Every history row of the user (all pages). */
  async history(token: string): Promise<HistoryRow[]> {
    const rows: HistoryRow[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: HistoryRow[]; nextCursor: string | null } } = await this.api.get(
        `/points/history?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        { token },
      );
      rows.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return rows;
  }

  /** The user's coupon as `GET /users/me/coupons` lists it. */
  async walletEntry(token: string, userCouponId: number): Promise<{ status: string; usedAt: string | null; orderId: number | null }> {
    const page = await this.api.get('/users/me/coupons?limit=100', { token });
    const entry = (page.body.items as Array<{ userCouponId: number; status: string; usedAt: string | null; orderId: number | null }>).find(
      (item) => item.userCouponId === userCouponId,
    );
    if (!entry) throw new Error(`user coupon ${userCouponId} is not in the wallet: ${page.status} ${JSON.stringify(page.body)}`);
    return entry;
  }

  /** Moves the copy's expiry into the past, as time would (a test cannot wait out a coupon's days). */
  async expireCoupon(userCouponId: number): Promise<void> {
    await this.dataSource.getRepository(UserCoupon).update(userCouponId, { expiresAt: new Date(Date.now() - 1_000) });
  }

  get dataSource(): DataSource {
    return this.app.app.get<DataSource>(getDataSourceToken());
  }

  /** Issuance is the coupon issue's work; commerce tests give users coupons directly. */
  async grantCoupon(
    userId: number,
    rule: Partial<Pick<Coupon, 'discountType' | 'discountValue' | 'minOrderAmount' | 'maxDiscountAmount'>> = {},
    expiresAt = new Date(Date.now() + 7 * 86_400_000),
  ): Promise<number> {
    const now = new Date();
    const coupon = await this.dataSource.getRepository(Coupon).save({
      name: 'Test coupon',
      discountType: 'FIXED',
      discountValue: 5_000,
      totalQuantity: 1_000,
      issuedQuantity: 1,
      minOrderAmount: 0,
      maxDiscountAmount: null,
      validDays: 7,
      issueStartsAt: null,
      issueEndsAt: null,
      createdAt: now,
      ...rule,
    });
    const userCoupon = await this.dataSource
      .getRepository(UserCoupon)
      .save({ couponId: coupon.id, userId, status: 'AVAILABLE', issuedAt: now, expiresAt, usedAt: null, orderId: null });
    return userCoupon.id;
  }
}
