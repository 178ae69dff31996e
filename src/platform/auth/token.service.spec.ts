import { createSecretKey } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import type { AppConfig } from '../config/app-config';
import { TokenService } from './token.service';

describe('TokenService', () => {
  const key = (secret: string) => createSecretKey(Buffer.from(secret));
  const jwt = new JwtService({
    secret: key('a'.repeat(32)),
    signOptions: { algorithm: 'HS256' },
    verifyOptions: { algorithms: ['HS256'] },
  });
  const tokens = (expiresInSeconds = 60) => new TokenService(jwt, { jwt: { expiresInSeconds } } as AppConfig);

  afterEach(() => jest.restoreAllMocks());

  it('accepts a token it issued, again and again, as the same caller', async () => {
    const service = tokens();
    const { accessToken } = await service.issue({ id: 7, role: 'user' });
    expect(await service.verify(accessToken)).toEqual({ id: 7, role: 'user' });
    expect(await service.verify(accessToken)).toEqual({ id: 7, role: 'user' });
  });

  it('refuses a token once it has expired, even one it accepted before', async () => {
    const service = tokens(2);
    const { accessToken } = await service.issue({ id: 7, role: 'admin' });
    expect(await service.verify(accessToken)).toEqual({ id: 7, role: 'admin' });
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 3_000);
    expect(await service.verify(accessToken)).toBeNull();
  });

  it('refuses a token with one character of its signature changed, after the real one was accepted', async () => {
    const service = tokens();
    const { accessToken } = await service.issue({ id: 7, role: 'user' });
    expect(await service.verify(accessToken)).not.toBeNull();
    const last = accessToken.at(-1) === 'A' ? 'B' : 'A';
    expect(await service.verify(accessToken.slice(0, -1) + last)).toBeNull();
    const forged = await new JwtService({ secret: key('b'.repeat(32)) }).signAsync({ sub: '7', role: 'admin' }, { expiresIn: 60 });
    expect(await service.verify(forged)).toBeNull();
  });

  it('hands each caller its own copy of the user', async () => {
    const service = tokens();
    const { accessToken } = await service.issue({ id: 7, role: 'user' });
    const first = (await service.verify(accessToken))!;
    first.role = 'admin';
    expect(await service.verify(accessToken)).toEqual({ id: 7, role: 'user' });
  });
});
