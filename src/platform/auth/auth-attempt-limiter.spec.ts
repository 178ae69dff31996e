import type { AppConfig } from '../config/app-config';
import { DomainError } from '../errors/domain-error';
import { MemoryAttemptCounter } from './attempt-counter';
import { addressKey, AuthAttemptLimiter } from './auth-attempt-limiter';

const WINDOW_MS = 60_000;
const LIMITS = { failedLoginsPerIp: 6, failedLoginsPerEmail: 3, signupsPerIp: 2, windowSeconds: WINDOW_MS / 1000 };

describe('AuthAttemptLimiter', () => {
  let now: number;
  let limiter: AuthAttemptLimiter;

  beforeEach(() => {
    now = 1_000_000;
    limiter = new AuthAttemptLimiter({ authRateLimit: LIMITS } as AppConfig, new MemoryAttemptCounter(WINDOW_MS, () => now));
  });

  const succeed = () => Promise.resolve('token');
  const fail = () => Promise.reject(new DomainError('INVALID_CREDENTIALS'));
  /** The answer's code: OK, or the DomainError's code. */
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => 'OK',
      (error: DomainError) => error.code,
    );
  const login = (address: string, email: string, verify: () => Promise<string>) => outcome(limiter.login({ address, email }, verify));

  it('never counts a successful login', async () => {
    for (let i = 0; i < 50; i++) expect(await login('10.0.0.1', `user${i % 5}@example.com`, succeed)).toBe('OK');
  });

  it('refuses an email after its failed logins, the right password too, without checking it', async () => {
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3'])
      expect(await login(address, 'victim@example.com', fail)).toBe('INVALID_CREDENTIALS');
    const verify = jest.fn(succeed);
    const refused = await limiter.login({ address: '10.0.0.4', email: 'victim@example.com' }, verify).catch((error: DomainError) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe('RATE_LIMITED');
    expect((refused as DomainError).extra.headers).toEqual({ 'Retry-After': '60' });
    expect(verify).not.toHaveBeenCalled();
    // Other emails from those addresses are not affected.
    expect(await login('10.0.0.1', 'other@example.com', succeed)).toBe('OK');
  });

  it('refuses an address after its failed logins over many emails, and counts down to the window end', async () => {
    for (let i = 0; i < 6; i++) expect(await login('10.0.0.1', `guess${i}@example.com`, fail)).toBe('INVALID_CREDENTIALS');
    now += 20_500;
    const refused = await limiter.login({ address: '10.0.0.1', email: 'mine@example.com' }, succeed).catch((error: DomainError) => error);
    expect((refused as DomainError).code).toBe('RATE_LIMITED');
    expect((refused as DomainError).extra.headers).toEqual({ 'Retry-After': '40' });
    expect(await login('10.0.0.2', 'mine@example.com', succeed)).toBe('OK');
    now += 39_500;
    expect(await login('10.0.0.1', 'mine@example.com', succeed)).toBe('OK');
  });

  it('takes no failure back when the same address logs in to an account of its own', async () => {
    for (let i = 0; i < 5; i++) expect(await login('10.0.0.1', `guess${i}@example.com`, fail)).toBe('INVALID_CREDENTIALS');
    expect(await login('10.0.0.1', 'attacker@example.com', succeed)).toBe('OK');
    expect(await login('10.0.0.1', 'guess5@example.com', fail)).toBe('INVALID_CREDENTIALS');
    expect(await login('10.0.0.1', 'attacker@example.com', succeed)).toBe('RATE_LIMITED');
  });

  it('answers a burst of concurrent guesses with no more than the budget of 401s, the right one after it too', async () => {
    // All thirteen pass the first check before any password check ends.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const wrong = Array.from({ length: 12 }, (_, i) =>
      login(`10.0.1.${i}`, 'victim@example.com', () => gate.then(() => Promise.reject(new DomainError('INVALID_CREDENTIALS')))),
    );
    const right = login('10.0.1.99', 'victim@example.com', () => gate.then(() => Promise.all(wrong)).then(() => 'token'));
    release();
    const outcomes = await Promise.all(wrong);
    expect(outcomes.filter((code) => code === 'INVALID_CREDENTIALS')).toHaveLength(3);
    expect(outcomes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(9);
    // The right password, found once the budget ran out, is answered like the guesses around it.
    expect(await right).toBe('RATE_LIMITED');
  });

  it('limits sign-ups per address, each address on its own', async () => {
    expect(await outcome(limiter.signup('10.0.0.1'))).toBe('OK');
    expect(await outcome(limiter.signup('10.0.0.1'))).toBe('OK');
    expect(await outcome(limiter.signup('10.0.0.1'))).toBe('RATE_LIMITED');
    expect(await outcome(limiter.signup('10.0.0.2'))).toBe('OK');
    // Sign-ups and failed logins are separate budgets.
    expect(await login('10.0.0.1', 'someone@example.com', succeed)).toBe('OK');
  });

  it('keeps one budget for every address of an IPv6 /64 and for an IPv4-mapped address', async () => {
    for (let i = 1; i <= 6; i++) expect(await login(`2001:db8:1:2::${i}`, `guess${i}@example.com`, fail)).toBe('INVALID_CREDENTIALS');
    expect(await login('2001:db8:1:2:ffff::1', 'mine@example.com', succeed)).toBe('RATE_LIMITED');
    expect(await login('2001:db8:1:3::1', 'mine@example.com', succeed)).toBe('OK');
  });
});

describe('addressKey', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002::9', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['not an address', 'not an address'],
  ])('%s -> %s', (ip, key) => expect(addressKey(ip)).toBe(key));
});

describe('MemoryAttemptCounter', () => {
  it('starts a window at a key first count and forgets ended ones', async () => {
    let now = 0;
    const counter = new MemoryAttemptCounter(1000, () => now);
    expect(await counter.add(['a', 'b'])).toEqual([
      { count: 1, msLeft: 1000 },
      { count: 1, msLeft: 1000 },
    ]);
    now = 400;
    expect(await counter.add(['a'])).toEqual([{ count: 2, msLeft: 600 }]);
    expect(await counter.read(['a', 'c'])).toEqual([
      { count: 2, msLeft: 600 },
      { count: 0, msLeft: 0 },
    ]);
    now = 1000;
    expect(await counter.read(['a'])).toEqual([{ count: 0, msLeft: 0 }]);
    expect(await counter.add(['a'])).toEqual([{ count: 1, msLeft: 1000 }]);
  });
});
