import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import { loadConfig } from '../config/app-config';
import { Metrics } from '../observability/metrics';
import { type BroadcastOrigin } from './broadcast';
import { InProcessBroadcast } from './in-process-broadcast';
import { decodeBroadcast, RedisBroadcast } from './redis-broadcast';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** The two connections RedisBroadcast uses: PUBLISH on the shared one, a duplicate subscribed. */
function fakeRedis() {
  const subscriber = Object.assign(new EventEmitter(), {
    status: 'ready',
    channels: [] as string[],
    connect: () => Promise.resolve(),
    subscribe(channel: string) {
      this.channels.push(channel);
      return Promise.resolve(1);
    },
    disconnect: () => undefined,
  });
  const published: Array<[string, string]> = [];
  const redis = {
    publish: (channel: string, payload: string) => Promise.resolve(published.push([channel, payload])),
    duplicate: () => subscriber,
  };
  return { redis: redis as unknown as Redis, subscriber, published };
}

describe('InProcessBroadcast', () => {
  it("delivers to this process's listeners before publish returns, one failing listener stopping no other", async () => {
    const broadcast = new InProcessBroadcast();
    const heard: Array<[string, BroadcastOrigin]> = [];
    await broadcast.subscribe('c', () => {
      throw new Error('listener bug');
    });
    await broadcast.subscribe('c', (message, origin) => heard.push([message, origin]));
    broadcast.publish('c', '7');
    broadcast.publish('other', '8');
    expect(heard).toEqual([['7', 'local']]);
    expect(() => broadcast.publish('c', 'two\nlines')).toThrow(/one line/);
  });
});

describe('RedisBroadcast', () => {
  const config = loadConfig({ REDIS_KEY_PREFIX: 'p:' }, []);

  it("publishes a turn's messages as one PUBLISH per channel, prefixed by hand, with its sender id", async () => {
    const { redis, published } = fakeRedis();
    const broadcast = new RedisBroadcast(redis, config, new Metrics());
    const heard: string[] = [];
    await broadcast.subscribe('product:changed', (message) => heard.push(message));
    broadcast.publish('product:changed', '1');
    broadcast.publish('product:changed', '2');
    broadcast.publish('product:changed', '1');
    broadcast.publish('outbox:committed', '1');
    expect(heard).toEqual(['1', '2', '1']);
    expect(published).toEqual([]);
    await nextTurn();
    expect(published.map(([channel, payload]) => [channel, decodeBroadcast(payload).messages])).toEqual([
      ['p:product:changed', ['1', '2']],
      ['p:outbox:committed', ['1']],
    ]);
    broadcast.publish('outbox:committed', '1');
    await nextTurn();
    expect(published).toHaveLength(3);
  });

  it("delivers other instances' messages as remote and skips its own echo", async () => {
    const { redis, subscriber, published } = fakeRedis();
    const broadcast = new RedisBroadcast(redis, config, new Metrics());
    const heard: Array<[string, BroadcastOrigin]> = [];
    await broadcast.subscribe('product:changed', (message, origin) => heard.push([message, origin]));
    await broadcast.subscribe('product:changed', () => undefined);
    expect(subscriber.channels).toEqual(['p:product:changed']);
    broadcast.publish('product:changed', '5');
    await nextTurn();
    subscriber.emit('message', 'p:product:changed', published[0][1]); // its own, back from Redis
    subscriber.emit('message', 'p:product:changed', 'another-instance\n6\n7');
    subscriber.emit('message', 'p:product:changed', '8'); // no sender id: an older instance's format
    expect(heard).toEqual([
      ['5', 'local'],
      ['6', 'remote'],
      ['7', 'remote'],
      ['8', 'remote'],
    ]);
  });

  it("times each other instance's message from its publish there to its delivery here", async () => {
    const { redis, subscriber, published } = fakeRedis();
    const metrics = new Metrics();
    const broadcast = new RedisBroadcast(redis, config, metrics);
    await broadcast.subscribe('product:changed', () => undefined);
    const before = Date.now();
    broadcast.publish('product:changed', '5');
    await nextTurn();
    const sent = decodeBroadcast(published[0][1]);
    expect(sent.sentAt).toBeGreaterThanOrEqual(before);
    expect(sent.sentAt).toBeLessThanOrEqual(Date.now());
    const buckets = async () =>
      (await metrics.registry.getSingleMetric('broadcast_delivery_seconds')!.get()).values.filter((v) => v.labels.le !== undefined);
    const countUpTo = async (le: number) => (await buckets()).find((v) => v.labels.le === le)?.value;

    subscriber.emit('message', 'p:product:changed', `another-instance ${Date.now() - 150}\n6`); // 150 ms ago
    subscriber.emit('message', 'p:product:changed', 'an-older-instance\n7'); // no time: not timed
    expect(await countUpTo(0.1)).toBe(0);
    expect(await countUpTo(0.2)).toBe(1);
    expect(await countUpTo(2.5)).toBe(1);
    expect((await buckets())[0].labels.channel).toBe('product:changed');
  });
});
