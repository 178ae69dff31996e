import { fixKafkajsRemovedBrokers } from './kafkajs-removed-broker-fix';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the internal module the fix patches
const BrokerPool = require('kafkajs/src/cluster/brokerPool') as {
  new (options: object): Pool;
  prototype: Pool;
};

interface FakeBroker {
  nodeId: string;
  connectionPool: { host: string; port: number };
  disconnect: jest.Mock<Promise<void>, []>;
}

interface Pool {
  brokers: Record<string, FakeBroker>;
  seedBroker?: FakeBroker;
  removeBroker(destination: { host: string; port: number }): void;
  disconnect(): Promise<void>;
}

const logger = { namespace: () => logger, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const broker = (port: number): FakeBroker => ({
  nodeId: String(port),
  connectionPool: { host: 'b', port },
  disconnect: jest.fn(() => Promise.resolve()),
});

describe('fixKafkajsRemovedBrokers (kafkajs left a removed broker connected after disconnect)', () => {
  beforeAll(() => fixKafkajsRemovedBrokers());

  it('disconnects a broker the pool removed (a consumer group may still use it) when the pool disconnects', async () => {
    const pool = new BrokerPool({ connectionPoolBuilder: {}, logger });
    const [one, two] = [broker(1), broker(2)];
    pool.brokers = { 1: one, 2: two };
    pool.seedBroker = one;
    pool.removeBroker({ host: 'b', port: 1 });
    expect(pool.brokers).toEqual({ 2: two });
    expect(one.disconnect).not.toHaveBeenCalled(); // still usable until the pool disconnects

    await pool.disconnect();
    expect(one.disconnect).toHaveBeenCalledTimes(1);
    expect(two.disconnect).toHaveBeenCalled();

    await pool.disconnect(); // forgotten once disconnected
    expect(one.disconnect).toHaveBeenCalledTimes(1);
  });

  it('is applied once however often it is called', () => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
    const patched = BrokerPool.prototype.disconnect;
    fixKafkajsRemovedBrokers();
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
    expect(BrokerPool.prototype.disconnect).toBe(patched);
  });
});
