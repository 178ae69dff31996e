import { DomainError } from './domain-error';

describe('DomainError', () => {
  const frames = (error: Error) => (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).length;

  it('keeps the stack of a 5xx for the log, and builds a 4xx refusal without one', () => {
    const fault = new DomainError('SERVICE_UNAVAILABLE');
    const refusal = new DomainError('RATE_LIMITED', 'Too many failed logins');
    expect(frames(fault)).toBeGreaterThan(0);
    expect(frames(refusal)).toBe(0);
    expect([refusal.status, refusal.code, refusal.message]).toEqual([429, 'RATE_LIMITED', 'Too many failed logins']);
    expect(refusal).toBeInstanceOf(Error);
  });

  it('leaves stack traces of every other error as they were', () => {
    const limit = Error.stackTraceLimit;
    new DomainError('NOT_FOUND');
    expect(Error.stackTraceLimit).toBe(limit);
    expect(frames(new Error('a bug'))).toBeGreaterThan(0);
  });

  it('takes only codes of the catalogue', () => {
    // @ts-expect-error: not a problem code, so `npm run typecheck` fails if this line compiles.
    expect(() => new DomainError('NO_SUCH_CODE')).toThrow(
      "problem code NO_SUCH_CODE is not in the catalogue: its module's *-errors.ts was not loaded",
    );
  });
});
