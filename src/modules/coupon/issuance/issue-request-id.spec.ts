import { randomBytes, randomUUID } from 'node:crypto';
import type { AppConfig } from '../../../platform/config/app-config';
import { ISSUE_REQUEST_ID_PATTERN, IssueRequestIds } from './issue-request-id';

const idsWith = (secret: string) => new IssueRequestIds({ jwt: { secret } } as AppConfig);

describe('IssueRequestIds', () => {
  const secret = randomBytes(32).toString('base64url');
  const ids = idsWith(secret);

  it('gives the coupon of an id it issued, to the user it issued it to', () => {
    const id = ids.issue(2_147_483_647, 42);
    expect(id).toMatch(ISSUE_REQUEST_ID_PATTERN);
    expect(ids.couponOf(id, 42)).toBe(2_147_483_647);
    expect(idsWith(secret).couponOf(id, 42)).toBe(2_147_483_647); // any instance sharing the secret
  });

  it('never gives one to another user, another secret, a changed id or a UUID', () => {
    const id = ids.issue(7, 42);
    expect(ids.couponOf(id, 43)).toBeUndefined();
    expect(idsWith(randomBytes(32).toString('base64url')).couponOf(id, 42)).toBeUndefined();
    const otherCoupon = Buffer.from(id, 'base64url');
    otherCoupon.writeUInt32BE(8, 1);
    expect(ids.couponOf(otherCoupon.toString('base64url'), 42)).toBeUndefined();
    const flipped = `${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`;
    expect(ids.couponOf(flipped, 42)).toBeUndefined();
    expect(ids.couponOf(randomUUID(), 42)).toBeUndefined();
    expect(ids.couponOf('', 42)).toBeUndefined();
  });

  it('issues a different id each time, even for the same user and coupon', () => {
    const issued = new Set(Array.from({ length: 1000 }, () => ids.issue(7, 42)));
    expect(issued.size).toBe(1000);
  });
});
