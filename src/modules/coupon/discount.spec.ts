import { discountFor } from './discount';

describe('discountFor', () => {
  const percent = (value: number, max: number | null = null) => ({
    discountType: 'PERCENT' as const,
    discountValue: value,
    maxDiscountAmount: max,
  });
  const fixed = (value: number, max: number | null = null) => ({
    discountType: 'FIXED' as const,
    discountValue: value,
    maxDiscountAmount: max,
  });

  it('floors percentages', () => {
    expect(discountFor(percent(10), 12_345)).toBe(1_234);
  });

  it('caps by maxDiscountAmount', () => {
    expect(discountFor(percent(30, 5_000), 100_000)).toBe(5_000);
    expect(discountFor(fixed(8_000, 3_000), 100_000)).toBe(3_000);
  });

  it('never discounts more than half of the total', () => {
    expect(discountFor(fixed(10_000), 15_001)).toBe(7_500);
    expect(discountFor(percent(90), 10_000)).toBe(5_000);
  });

  it('applies the smallest of the three caps', () => {
    expect(discountFor(percent(20, 1_500), 10_000)).toBe(1_500);
    expect(discountFor(percent(20, 1_500), 5_000)).toBe(1_000);
    expect(discountFor(fixed(3_000, 10_000), 4_000)).toBe(2_000);
  });

  it('gives nothing off an empty or one-unit total, and never a negative discount', () => {
    expect(discountFor(fixed(1_000), 0)).toBe(0);
    expect(discountFor(percent(50), 1)).toBe(0);
    expect(discountFor(fixed(1_000, 0), 10_000)).toBe(0);
  });
});
