// Baseline: the smallest useful Fastify server, on the same Node and the same machine as the app.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(
  () => process.send?.('ready'),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
