import { TokenService } from '../../src/platform/auth/token.service';
import { UserCoupon } from '../../src/modules/coupon/entities/coupon.entities';
import { type DropAnswer, type DropClient, issueAll } from '../../support/coupon-drop';
import { type Shop } from './commerce-fixtures';
import { type Api, type TestApp } from './test-app';

export interface DropResult {
  couponId: number;
  /** Every attempt as its user saw it in the end (a queued one's decision included). */
  answers: DropAnswer[];
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
 * where a hang is the failure). The drop fails when a queued request is still undecided
 * `settleTimeoutMs` (default a minute) after the last was answered. `concurrency`: requests in
 * flight at once (default all of them).
 */
export async function runDrop(
  apps: DropTarget[],
  shop: Shop,
  couponId: number,
  requests: Array<{ id: number; token: string }>,
  options: { timeoutMs?: number; settleTimeoutMs?: number; concurrency?: number } = {},
): Promise<DropResult> {
  const startedAt = Date.now();
  const settleTimeoutMs = options.settleTimeoutMs ?? 60_000;
  const clients = apps.map((app): DropClient => ({
    issue: (id, token) => app.api.post(`/coupons/${id}/issue`, undefined, { token, timeoutMs: options.timeoutMs }),
    issueRequest: (requestId, token) => app.api.get(`/coupons/issue-requests/${requestId}`, { token }),
  }));
  const answers = await issueAll(
    couponId,
    requests.map((caller, i) => ({ caller, client: clients[i % clients.length] })),
    { concurrency: options.concurrency ?? requests.length, pollConcurrency: 50, settleTimeoutMs },
  );
  const undecided = answers.filter((answer) => answer.outcome === 'PENDING');
  if (undecided.length > 0) {
    const queued = answers.filter((answer) => answer.status === 202).length;
    throw new Error(
      `${undecided.length} of ${queued} queued issue requests still PENDING ${settleTimeoutMs} ms after the last was accepted ` +
        `(users ${[...new Set(undecided.map((answer) => answer.caller.id))].slice(0, 10).join(', ')}${undecided.length > 10 ? ', ...' : ''})`,
    );
  }
  const result: DropResult = {
    couponId,
    answers,
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

/**
 * Waves of one coupon's drop as one drop: every answer, every success (a user told twice fails, as
 * within a wave), and what the last wave read as stored (the database after all of them).
 */
export function dropOfWaves(waves: DropResult[]): DropResult {
  const merged: DropResult = {
    couponId: waves[0].couponId,
    answers: waves.flatMap((wave) => wave.answers),
    issued: new Map(),
    rejections: new Map(),
    unavailable: waves.reduce((sum, wave) => sum + wave.unavailable, 0),
    unavailableCodes: new Set(waves.flatMap((wave) => [...wave.unavailableCodes])),
    unavailableDependencies: new Set(waves.flatMap((wave) => [...wave.unavailableDependencies])),
    stored: waves[waves.length - 1].stored,
  };
  for (const wave of waves) {
    for (const [userId, copy] of wave.issued) {
      if (merged.issued.has(userId)) throw new Error(`user ${userId} was told twice that a coupon was issued`);
      merged.issued.set(userId, copy);
    }
    for (const [code, count] of wave.rejections) merged.rejections.set(code, (merged.rejections.get(code) ?? 0) + count);
  }
  return merged;
}

/**
 * The promise of a drop (docs/coupon-issuance.md), judged user by user from what each was told and
 * what the database holds: exactly `stock` copies and the coupon's counters agreeing, never two
 * copies for one user, a success for every stored copy and the stored copy of every success (the
 * same id), and every other answer one of `refusals`; `COUPON_ALREADY_ISSUED` only to a holder.
 * `api`: where the coupon's counters are read (`GET /coupons/{id}`).
 */
export async function expectExactDrop(result: DropResult, stock: number, refusals: readonly string[], api: Api): Promise<void> {
  const copiesOf = new Map<number, number[]>();
  for (const copy of result.stored) copiesOf.set(copy.userId, [...(copiesOf.get(copy.userId) ?? []), copy.id]);
  const coupon = (await api.get(`/coupons/${result.couponId}`)).body as { issuedQuantity: number; remainingQuantity: number };
  expect({ stored: result.stored.length, issuedQuantity: coupon.issuedQuantity, remainingQuantity: coupon.remainingQuantity }).toEqual({
    stored: stock,
    issuedQuantity: stock,
    remainingQuantity: 0,
  });
  // Each kind of offender by count and the first few, so a failure stays readable.
  const none = (name: string, offenders: unknown[]) =>
    expect({ [name]: offenders.length, first: offenders.slice(0, 3) }).toEqual({ [name]: 0, first: [] });
  none(
    'usersWithSeveralCopies',
    [...copiesOf].filter(([, copies]) => copies.length > 1),
  );
  none(
    'storedWithoutSuccess',
    result.stored
      .filter((copy) => result.issued.get(copy.userId) !== copy.id)
      .map((copy) => ({ userId: copy.userId, stored: copy.id, told: result.issued.get(copy.userId) ?? 'no success' })),
  );
  none(
    'successWithoutCopy',
    [...result.issued]
      .filter(([userId, copy]) => !copiesOf.get(userId)?.includes(copy))
      .map(([userId, copy]) => ({ userId, told: copy, stored: copiesOf.get(userId) ?? [] })),
  );
  none(
    'wrongRefusals',
    result.answers
      .filter(
        ({ caller, outcome }) =>
          outcome !== 'ISSUED' && !(refusals.includes(outcome) && (outcome !== 'COUPON_ALREADY_ISSUED' || copiesOf.has(caller.id))),
      )
      .map(({ caller, status, outcome }) => ({ userId: caller.id, holder: copiesOf.has(caller.id), status, outcome })),
  );
}
