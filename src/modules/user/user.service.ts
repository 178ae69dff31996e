import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { isUniqueViolation } from '../../platform/database/errors';
import { TransactionRunner } from '../../platform/database/transaction-runner';
import { AuthenticatedUser, Role } from '../../platform/auth/authenticated-user';
import { AccessToken, TokenService } from '../../platform/auth/token.service';
import { DomainError } from '../../platform/errors/domain-error';
import { UserRecord, UserRepository } from './user.repository';

export interface UserView {
  id: number;
  email: string;
  name: string;
  role: Role;
}

@Injectable()
export class UserService {
  // Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
  private readonly decoyHash = argon2.hash(randomBytes(16).toString('hex'), { type: argon2.argon2id });

  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenService,
    private readonly transactions: TransactionRunner,
  ) {}

  async signup(input: { email: string; password: string; name: string }, role: Role = 'user'): Promise<UserView> {
    const passwordHash = await argon2.hash(input.password, { type: argon2.argon2id });
    try {
      // A transaction, not autocommit: an account whose COMMIT a silent database never acknowledged is rolled back, not created behind a 503.
      const user = await this.transactions.run(() =>
        this.users.insert({ email: input.email, passwordHash, name: input.name, role }, new Date()),
      );
      return toView(user);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('EMAIL_TAKEN', `${input.email} is already registered`);
      throw error;
    }
  }

  async login(email: string, password: string): Promise<AccessToken> {
    const user = await this.users.findByEmail(email);
    const valid = await argon2.verify(user?.passwordHash ?? (await this.decoyHash), password);
    if (!user || !valid) throw new DomainError('INVALID_CREDENTIALS');
    return this.tokens.issue({ id: user.id, role: user.role });
  }

  async me(caller: AuthenticatedUser): Promise<UserView> {
    const user = await this.users.findById(caller.id);
    // The token outlived its user: treat it as invalid rather than revealing anything.
    if (!user) throw new DomainError('UNAUTHORIZED', 'The account of this token no longer exists');
    return toView(user);
  }

  /** Creates the admin account from ADMIN_EMAIL/ADMIN_PASSWORD when it does not exist yet. */
  async ensureAdmin(email: string, password: string): Promise<boolean> {
    if (await this.users.existsWithEmail(email.toLowerCase())) return false;
    try {
      await this.signup({ email: email.toLowerCase(), password, name: 'Administrator' }, 'admin');
      return true;
    } catch (error) {
      // Another instance created it at the same moment.
      if (error instanceof DomainError && error.code === 'EMAIL_TAKEN') return false;
      throw error;
    }
  }

  async countUsers(): Promise<number> {
    return this.users.count();
  }
}

function toView(user: UserRecord): UserView {
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}
