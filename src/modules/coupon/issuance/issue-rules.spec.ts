import { copyExpiresAt, inIssuePeriod, issueRefusal } from './issue-rules';

describe('issue rules', () => {
  const at = (iso: string) => new Date(iso);

  it('lets a copy be used for exactly the coupon’s days from its issue', () => {
    expect(copyExpiresAt({ validDays: 7 }, at('2026-03-01T10:00:00.000Z'))).toEqual(at('2026-03-08T10:00:00.000Z'));
    expect(copyExpiresAt({ validDays: 0 }, at('2026-03-01T10:00:00.000Z'))).toEqual(at('2026-03-01T10:00:00.000Z'));
  });

  it('issues from the window’s start, up to but not at its end', () => {
    const window = { issueStartsAt: at('2026-03-01T00:00:00.000Z'), issueEndsAt: at('2026-03-02T00:00:00.000Z') };
    expect(inIssuePeriod(window, at('2026-02-28T23:59:59.999Z'))).toBe(false);
    expect(inIssuePeriod(window, at('2026-03-01T00:00:00.000Z'))).toBe(true);
    expect(inIssuePeriod(window, at('2026-03-01T23:59:59.999Z'))).toBe(true);
    expect(inIssuePeriod(window, at('2026-03-02T00:00:00.000Z'))).toBe(false);
  });

  it('issues at any time when the window is open on a side', () => {
    const now = at('2026-03-01T12:00:00.000Z');
    expect(inIssuePeriod({ issueStartsAt: null, issueEndsAt: null }, now)).toBe(true);
    expect(inIssuePeriod({ issueStartsAt: null, issueEndsAt: at('2026-03-02T00:00:00.000Z') }, now)).toBe(true);
    expect(inIssuePeriod({ issueStartsAt: at('2026-03-01T00:00:00.000Z'), issueEndsAt: null }, now)).toBe(true);
    expect(inIssuePeriod({ issueStartsAt: null, issueEndsAt: at('2026-03-01T00:00:00.000Z') }, now)).toBe(false);
    expect(inIssuePeriod({ issueStartsAt: at('2026-03-02T00:00:00.000Z'), issueEndsAt: null }, now)).toBe(false);
  });

  it('answers every refusal with its code and a message naming the coupon', () => {
    expect(issueRefusal('COUPON_NOT_FOUND', 42)).toMatchObject({ code: 'COUPON_NOT_FOUND', message: 'Coupon 42 does not exist' });
    expect(issueRefusal('COUPON_NOT_IN_ISSUE_PERIOD', 42)).toMatchObject({
      code: 'COUPON_NOT_IN_ISSUE_PERIOD',
      message: 'Coupon 42 is not being issued now',
    });
    expect(issueRefusal('COUPON_SOLD_OUT', 42)).toMatchObject({ code: 'COUPON_SOLD_OUT', message: 'Coupon 42 is sold out' });
    expect(issueRefusal('COUPON_ALREADY_ISSUED', 42)).toMatchObject({
      code: 'COUPON_ALREADY_ISSUED',
      message: 'You already have this coupon',
    });
  });
});
