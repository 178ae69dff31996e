export type IssueRefusal = 'COUPON_SOLD_OUT' | 'COUPON_ALREADY_ISSUED';

export interface BatchDecision {
  /** One per caller, in arrival order; no refusal means a copy is issued. */
  decisions: Array<{ userId: number; refusal?: IssueRefusal }>;
  /** Users who get a copy, in arrival order. */
  winners: number[];
  /** No copy left once the batch is issued. */
  soldOut: boolean;
}

/**
 * Who of a batch of callers of one coupon gets a copy: in arrival order, up to the remaining
 * stock, one copy per user (a holder, or a user already served earlier in the batch, is refused
 * COUPON_ALREADY_ISSUED before stock is considered).
 */
export function decideBatch(userIds: readonly number[], holders: ReadonlySet<number>, remaining: number): BatchDecision {
  const served = new Set(holders);
  const winners: number[] = [];
  const decisions: BatchDecision['decisions'] = [];
  for (const userId of userIds) {
    if (served.has(userId)) decisions.push({ userId, refusal: 'COUPON_ALREADY_ISSUED' });
    else if (remaining <= 0) decisions.push({ userId, refusal: 'COUPON_SOLD_OUT' });
    else {
      served.add(userId);
      remaining--;
      winners.push(userId);
      decisions.push({ userId });
    }
  }
  return { decisions, winners, soldOut: remaining <= 0 };
}
