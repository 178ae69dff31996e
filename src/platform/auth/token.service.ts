import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectAppConfig } from '../config/config.module';
import { AppConfig } from '../config/app-config';
import { AuthenticatedUser, Role } from './authenticated-user';

export interface AccessToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** Verified tokens remembered at most; the memory is cleared when full (only valid tokens get in). */
const MAX_REMEMBERED = 10_000;

@Injectable()
export class TokenService {
  /**
   * Tokens already verified, with their caller and expiry: a client sends the same token on every
   * request for its lifetime, and re-checking the signature (HMAC, base64 and two JSON parses in
   * jsonwebtoken) costs 3–4% of a cheap authenticated request's CPU. The key is the whole token,
   * signature included, so only the exact bytes that verified are accepted again, and only until
   * their `exp`. Failures are not remembered.
   */
  private readonly verified = new Map<string, { user: AuthenticatedUser; expiresAtMs: number }>();

  constructor(
    private readonly jwt: JwtService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async issue(user: AuthenticatedUser): Promise<AccessToken> {
    const expiresIn = this.config.jwt.expiresInSeconds;
    const accessToken = await this.jwt.signAsync({ sub: String(user.id), role: user.role }, { expiresIn });
    return { accessToken, tokenType: 'Bearer', expiresIn };
  }

  /** Returns the caller, or null for a missing, malformed, forged, expired or never-expiring token. */
  async verify(token: string): Promise<AuthenticatedUser | null> {
    const known = this.verified.get(token);
    if (known) {
      // jsonwebtoken's rule: expired once now (in whole seconds) reaches exp.
      if (Math.floor(Date.now() / 1000) * 1000 < known.expiresAtMs) return { ...known.user };
      this.verified.delete(token);
      return null;
    }
    try {
      const payload = await this.jwt.verifyAsync<{ sub: string; role: Role; exp?: unknown }>(token);
      // jsonwebtoken accepts a token without exp as never expiring; every token we issue has one.
      if (typeof payload.exp !== 'number') return null;
      const id = Number(payload.sub);
      if (!Number.isSafeInteger(id) || id <= 0 || (payload.role !== 'user' && payload.role !== 'admin')) return null;
      const user: AuthenticatedUser = { id, role: payload.role };
      if (this.verified.size >= MAX_REMEMBERED) this.verified.clear();
      this.verified.set(token, { user, expiresAtMs: payload.exp * 1000 });
      return { ...user };
    } catch {
      return null;
    }
  }
}
