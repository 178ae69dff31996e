import { TokenService } from '../../src/platform/auth/token.service';
import { UserCoupon } from '../../src/modules/coupon/entities/coupon.entities';
import { type Shop, inBatches } from './commerce-fixtures';
import { eventually } from './eventually';
import { type HttpResponse, type TestApp } from './test-app';

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
 * their outcome, and reads what was stored. The caller asserts. `timeoutMs`: each issue request
 * fails, naming itself, when it has no answer by then (for drops where a hang is the failure).
 */
export async function runDrop(
  apps: DropTarget[],
  shop: Shop,
  couponId: number,
  requests: Array<{ id: number; token: string }>,
  options: { timeoutMs?: number } = {},
): Promise<DropResult> {
  const startedAt = Date.now();
  const responses: Array<{ caller: { id: number; token: string }; response: HttpResponse; app: DropTarget }> = await Promise.all(
    requests.map(async (caller, i) => {
      const app = apps[i % apps.length];
      const response = await app.api.post(`/coupons/${couponId}/issue`, undefined, { token: caller.token, timeoutMs: options.timeoutMs });
      return { caller, app, response };
    }),
  );
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
  const reject = (code: string) => result.rejections.set(code, (result.rejections.get(code) ?? 0) + 1);
  const recordIssued = (userId: number, userCouponId: number) => {
    if (result.issued.has(userId)) throw new Error(`user ${userId} was told twice that a coupon was issued`);
    result.issued.set(userId, userCouponId);
  };
  await inBatches(responses, 50, async ({ caller, response, app }) => {
    if (response.status === 201) recordIssued(caller.id, response.body.userCouponId);
    else if (response.status === 202) {
      let final: HttpResponse = response;
      await eventually(
        async () => {
          final = await app.api.get(`/coupons/issue-requests/${response.body.requestId}`, { token: caller.token });
          if (final.body.status === 'PENDING') throw new Error('still pending');
        },
        60_000,
        200,
      );
      if (final.body.status === 'ISSUED') recordIssued(caller.id, final.body.userCouponId);
      else reject(final.body.reason);
    } else if (response.status === 503) {
      result.unavailable++;
      result.unavailableCodes.add(response.body.code);
    } else reject(response.body.code ?? `HTTP_${response.status}`);
  });
  result.stored = await shop.dataSource.getRepository(UserCoupon).findBy({ couponId });
  return result;
}
