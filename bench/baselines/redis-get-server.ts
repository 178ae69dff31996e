// Baseline: bare Fastify + ioredis answering from one GET (what a hint-answered refusal needs at least).
// With BASELINE_JWT_SECRET it first verifies the caller's bearer token as the app does (@nestjs/jwt's
// JwtService, HS256, the secret as a KeyObject) and answers 401 without one: that prices the authentication.
import { createSecretKey } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import Fastify from 'fastify';
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!);
const key = `${process.env.REDIS_KEY_PREFIX ?? ''}baseline:hint`;
const jwt = process.env.BASELINE_JWT_SECRET
  ? new JwtService({ secret: createSecretKey(Buffer.from(process.env.BASELINE_JWT_SECRET)), verifyOptions: { algorithms: ['HS256'] } })
  : undefined;

const app = Fastify({ logger: false });
app.all('/', async (request, reply) => {
  if (jwt) {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    try {
      if (!token) throw new Error('no token');
      jwt.verify(token);
    } catch {
      return reply.code(401).send({ error: 'unauthorized' });
    }
  }
  return { hint: await redis.get(key) };
});
redis
  .set(key, 'sold-out')
  .then(() => app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }))
  .then(
    () => process.send?.('ready'),
    (error: Error) => {
      console.error(error);
      process.exit(1);
    },
  );
