import { DomainError } from './problem-catalog';

describe('DomainError', () => {
  const frames = (error: Error) => (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).length;

  it('keeps the stack of a 5xx for the log, and builds a 4xx refusal without one', () => {
    const fault = new DomainError('LOCK_UNAVAILABLE');
    const refusal = new DomainError('COUPON_SOLD_OUT', 'Coupon 1 is sold out');
    expect(frames(fault)).toBeGreaterThan(0);
    expect(frames(refusal)).toBe(0);
    expect([refusal.status, refusal.code, refusal.message]).toEqual([409, 'COUPON_SOLD_OUT', 'Coupon 1 is sold out']);
    expect(refusal).toBeInstanceOf(Error);
  });

  it('leaves stack traces of every other error as they were', () => {
    const limit = Error.stackTraceLimit;
    new DomainError('NOT_FOUND');
    expect(Error.stackTraceLimit).toBe(limit);
    expect(frames(new Error('a bug'))).toBeGreaterThan(0);
  });
});
