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

@Injectable()
export class TokenService {
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
    try {
      const payload = await this.jwt.verifyAsync<{ sub: string; role: Role; exp?: unknown }>(token);
      // jsonwebtoken accepts a token without exp as never expiring; every token we issue has one.
      if (typeof payload.exp !== 'number') return null;
      const id = Number(payload.sub);
      if (!Number.isSafeInteger(id) || id <= 0 || (payload.role !== 'user' && payload.role !== 'admin')) return null;
      return { id, role: payload.role };
    } catch {
      return null;
    }
  }
}
