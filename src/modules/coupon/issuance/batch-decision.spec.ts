import { decideBatch } from './batch-decision';

describe('decideBatch', () => {
  it('issues in arrival order up to the remaining stock, then refuses COUPON_SOLD_OUT', () => {
    const result = decideBatch([5, 3, 9, 1], new Set(), 2);
    expect(result.winners).toEqual([5, 3]);
    expect(result.decisions).toEqual([
      { userId: 5 },
      { userId: 3 },
      { userId: 9, refusal: 'COUPON_SOLD_OUT' },
      { userId: 1, refusal: 'COUPON_SOLD_OUT' },
    ]);
    expect(result.soldOut).toBe(true);
  });

  it('refuses holders and a user twice in the batch as COUPON_ALREADY_ISSUED, without spending stock', () => {
    const result = decideBatch([7, 4, 4, 8], new Set([7]), 2);
    expect(result.decisions).toEqual([
      { userId: 7, refusal: 'COUPON_ALREADY_ISSUED' },
      { userId: 4 },
      { userId: 4, refusal: 'COUPON_ALREADY_ISSUED' },
      { userId: 8 },
    ]);
    expect(result.winners).toEqual([4, 8]);
  });

  it('says already issued rather than sold out to a holder of a sold-out coupon', () => {
    expect(decideBatch([7], new Set([7]), 0).decisions).toEqual([{ userId: 7, refusal: 'COUPON_ALREADY_ISSUED' }]);
  });

  it('is sold out only when no copy is left after the batch', () => {
    expect(decideBatch([1, 2], new Set(), 3).soldOut).toBe(false);
    expect(decideBatch([1, 2, 3], new Set(), 3).soldOut).toBe(true);
    expect(decideBatch([], new Set(), 0).soldOut).toBe(true);
  });

  it('leaves the holders it was given unchanged', () => {
    const holders = new Set([1]);
    decideBatch([2, 3], holders, 5);
    expect([...holders]).toEqual([1]);
  });
});
