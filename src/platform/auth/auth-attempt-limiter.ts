import { isIPv4, isIPv6 } from 'node:net';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { DomainError } from '../errors/domain-error';
import { AttemptCounter, WindowCount } from './attempt-counter';

/** One login attempt: the client's address (`request.ip`) and the email as login normalizes it. */
export interface LoginAttempt {
  address: string;
  email: string;
}

interface Budget {
  key: string;
  limit: number;
  /** For the 429's detail: what ran out. */
  what: string;
}

/**
 * The login and sign-up budgets (`AUTH_RATE_LIMIT_*`), per fixed window: failed logins per client
 * address and per email, and sign-ups per client address. It counts what an attacker produces
 * (wrong passwords, new accounts), never a successful login, so many people behind one address (an
 * office, a carrier's NAT) can all log in at a drop's start. A success neither counts nor takes a
 * failure back: an attacker cannot clear an address's failures by logging in to an account of its own.
 * Over a budget: 429 `RATE_LIMITED` with `Retry-After`, until the window that ran out ends.
 */
@Injectable()
export class AuthAttemptLimiter {
  private readonly limits: AppConfig['authRateLimit'];

  constructor(
    @InjectAppConfig() config: AppConfig,
    private readonly counter: AttemptCounter,
  ) {
    this.limits = config.authRateLimit;
  }

  /**
   * Runs `verify` (the password check) unless the address or the email has no failed logins left.
   * A failure (INVALID_CREDENTIALS) is counted against both. Concurrent guesses all pass the first
   * check before any has failed; so a failure past a budget, and a success found once a budget ran
   * out, answer 429 too: a burst learns no more than the budget's worth of guesses.
   */
  async login<T>(attempt: LoginAttempt, verify: () => Promise<T>): Promise<T> {
    const budgets = this.loginBudgets(attempt);
    await this.refuseIfSpent(budgets);
    let result: T;
    try {
      result = await verify();
    } catch (error) {
      if (error instanceof DomainError && error.code === 'INVALID_CREDENTIALS') await this.countOrRefuse(budgets);
      throw error;
    }
    await this.refuseIfSpent(budgets);
    return result;
  }

  /** Counts a sign-up from this address; 429 once the address has used its budget. */
  async signup(address: string): Promise<void> {
    await this.countOrRefuse([
      { key: `auth-limit:signups:ip:${addressKey(address)}`, limit: this.limits.signupsPerIp, what: 'sign-ups from this address' },
    ]);
  }

  private loginBudgets({ address, email }: LoginAttempt): Budget[] {
    return [
      {
        key: `auth-limit:failed-logins:ip:${addressKey(address)}`,
        limit: this.limits.failedLoginsPerIp,
        what: 'failed logins from this address',
      },
      { key: `auth-limit:failed-logins:email:${email}`, limit: this.limits.failedLoginsPerEmail, what: 'failed logins for this email' },
    ];
  }

  /** Before an attempt (and after a success): refused while a budget is used up. */
  private async refuseIfSpent(budgets: Budget[]): Promise<void> {
    const counts = await this.counter.read(budgets.map((budget) => budget.key));
    refuse(budgets.map((budget, i) => ({ budget, ...counts[i], out: counts[i].count >= budget.limit })));
  }

  /** Counts this attempt; refused when it went past a budget. */
  private async countOrRefuse(budgets: Budget[]): Promise<void> {
    const counts = await this.counter.add(budgets.map((budget) => budget.key));
    refuse(budgets.map((budget, i) => ({ budget, ...counts[i], out: counts[i].count > budget.limit })));
  }
}

function refuse(states: Array<WindowCount & { budget: Budget; out: boolean }>): void {
  const spent = states.filter((state) => state.out);
  if (spent.length === 0) return;
  // Every budget that ran out must start over before an attempt can pass again.
  const retryAfter = Math.max(1, Math.ceil(Math.max(...spent.map((state) => state.msLeft)) / 1000));
  throw new DomainError('RATE_LIMITED', `Too many ${spent.map((state) => state.budget.what).join(' and ')}; retry in ${retryAfter} s`, {
    headers: { 'Retry-After': String(retryAfter) },
  });
}

/**
 * The address a budget is kept for: IPv4 as is, an IPv4-mapped IPv6 address as its IPv4 one, and
 * other IPv6 addresses by their /64 (usually one subscriber's network, and whoever holds one can
 * pick any address in it).
 */
export function addressKey(ip: string): string {
  const bare = ip.split('%')[0];
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return ip;
  const groups = hextets(bare.toLowerCase());
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff)
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail as two groups). */
function hextets(address: string): number[] {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = dotted
    ? `${address.slice(0, dotted.index)}${((+dotted[1] << 8) | +dotted[2]).toString(16)}:${((+dotted[3] << 8) | +dotted[4]).toString(16)}`
    : address;
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((group) => parseInt(group, 16));
}
