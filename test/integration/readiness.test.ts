import { eventually } from '../support/eventually';
import { itWithLocalBroker, localBroker } from '../support/local-broker';
import { describeWithEngines, isolatedEnvironment, type IsolatedEnvironment } from '../support/real-engines';
import { TcpProxy } from '../../support/tcp-proxy';
import { startApp, type TestApp } from '../support/test-app';

describeWithEngines('readiness follows Redis and Kafka (full profile)', (engines) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let redisProxy: TcpProxy;

  beforeAll(async () => {
    redisProxy = await TcpProxy.forUrl(engines.redisUrl, 6379).start();
    env = await isolatedEnvironment('full', { REDIS_URL: redisProxy.through(engines.redisUrl) });
    app = await startApp(env.env);
  });

  afterAll(async () => {
    await app?.close();
    await redisProxy?.stop();
    await env?.cleanup();
  });

  it('is ready when every dependency answers', async () => {
    const ready = await app.api.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' }, kafka: { status: 'up' } });
  });

  it('turns 503 naming redis when Redis goes away, and recovers when it returns', async () => {
    await redisProxy.cut();
    await eventually(async () => {
      const ready = await app.api.get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.error.redis.status).toBe('down');
      expect(ready.body.details.database.status).toBe('up');
    });
    // Liveness is about the process, not its dependencies.
    expect((await app.api.get('/health/live')).status).toBe(200);

    await redisProxy.restore();
    await eventually(async () => expect((await app.api.get('/health/ready')).status).toBe(200), 20_000);
  });

  const broker = localBroker(engines);
  itWithLocalBroker(broker)('turns 503 naming kafka when the broker stops, and recovers when it starts again', async () => {
    broker!.stop();
    try {
      await eventually(async () => {
        const ready = await app.api.get('/health/ready');
        expect(ready.status).toBe(503);
        expect(ready.body.error.kafka.status).toBe('down');
      }, 30_000);
    } finally {
      broker!.start();
    }
    await eventually(async () => expect((await app.api.get('/health/ready')).status).toBe(200), 60_000);
  });
});
