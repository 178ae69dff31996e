// Baseline: bare Fastify + ioredis answering from one GET (what a hint-answered refusal needs at least).
import Fastify from 'fastify';
import Redis from 'ioredis';

const redis = new Redis(process.env.REDIS_URL!);
const key = `${process.env.REDIS_KEY_PREFIX ?? ''}baseline:hint`;

const app = Fastify({ logger: false });
app.get('/', async () => ({ hint: await redis.get(key) }));
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
