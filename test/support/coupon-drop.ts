import { TokenService } from '../../src/platform/auth/token.service';
import { UserCoupon } from '../../src/modules/coupon/entities/coupon.entities';
import { type DropClient, issueAll } from '../../support/coupon-drop';
import { type Shop } from './commerce-fixtures';
import { type TestApp } from './test-app';

export interface DropResult {
  issued: Map<number, number>; // userId -> userCouponId the API reported
  rejections: Map<string, number>; // code -> count
  unavailable: number; // 503s
  unavailableCodes: Set<string>;
  /** What the apps' logs name as unavailable during the drop (apps started with `captureLogs` at warn). */
  unavailableDependencies: Set<string>;
  stored: UserCoupon[];
}

/** Tokens for synthetic user ids: a coupon drop needs many callers, not many password hashes. */
export async function callers(app: TestApp, count: number, firstId = 1_000_000): Promise<Array<{ id: number; token: string }>> {
  const tokens = app.app.get(TokenService);
  return Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      id: firstId + i,
      token: (await tokens.issue({ id: firstId + i, role: 'user' })).accessToken,
    })),
  );
}

export async function createCoupon(shop: Shop, totalQuantity: number, extra: Record<string, unknown> = {}): Promise<number> {
  const response = await shop.api.post(
    '/admin/coupons',
    { name: 'Drop', discountType: 'FIXED', discountValue: 1_000, totalQuantity, minOrderAmount: 0, validDays: 7, ...extra },
    { token: shop.adminToken },
  );
  if (response.status !== 201) throw new Error(`coupon: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id;
}

/** Where a drop's requests go: an app in this process, or a client of an app process (with no captured logs). */
export type DropTarget = Pick<TestApp, 'api' | 'logs'>;

/**
 * Fires every request at once (spread round-robin over the apps), then follows queued ones to
 * their outcome (support/coupon-drop.ts), and reads what was stored. The caller asserts.
 * `timeoutMs`: each issue request fails, naming itself, when it has no answer by then (for drops
 * where a hang is the failure); so does the drop when a queued request is still undecided after a minute.
 */
export async function runDrop(
  apps: DropTarget[],
  shop: Shop,
  couponId: number,
  requests: Array<{ id: number; token: string }>,
  options: { timeoutMs?: number } = {},
): Promise<DropResult> {
  const startedAt = Date.now();
  const clients = apps.map((app): DropClient => ({
    issue: (id, token) => app.api.post(`/coupons/${id}/issue`, undefined, { token, timeoutMs: options.timeoutMs }),
    issueRequest: (requestId, token) => app.api.get(`/coupons/issue-requests/${requestId}`, { token }),
  }));
  const answers = await issueAll(
    couponId,
    requests.map((caller, i) => ({ caller, client: clients[i % clients.length] })),
    { concurrency: requests.length, pollConcurrency: 50 },
  );
  const undecided = answers.filter((answer) => answer.outcome === 'PENDING');
  if (undecided.length > 0) throw new Error(`${undecided.length} queued issue requests still PENDING after a minute`);
  const result: DropResult = {
    issued: new Map(),
    rejections: new Map(),
    unavailable: 0,
    unavailableCodes: new Set(),
    unavailableDependencies: new Set(
      apps.flatMap((app) =>
        (app.logs?.entries(startedAt) ?? []).flatMap((entry) =>
          typeof entry.dependency === 'string' ? [`${entry.dependency}: ${String(entry.error)}`] : [],
        ),
      ),
    ),
    stored: [],
  };
  for (const { caller, status, outcome, userCouponId } of answers) {
    if (outcome === 'ISSUED') {
      if (result.issued.has(caller.id)) throw new Error(`user ${caller.id} was told twice that a coupon was issued`);
      result.issued.set(caller.id, userCouponId!);
    } else if (status === 503) {
      result.unavailable++;
      result.unavailableCodes.add(outcome);
    } else result.rejections.set(outcome, (result.rejections.get(outcome) ?? 0) + 1);
  }
  result.stored = await shop.dataSource.getRepository(UserCoupon).findBy({ couponId });
  return result;
}
