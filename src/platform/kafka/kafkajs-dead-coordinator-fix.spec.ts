import { fixKafkajsDeadCoordinator } from './kafkajs-dead-coordinator-fix';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the internal modules the fix patches
const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup') as new (options: object) => Group;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
const OffsetManager = require('kafkajs/src/consumer/offsetManager') as new (options: object) => Offsets;

interface FakeBroker {
  isConnected(): boolean;
  heartbeat: jest.Mock<Promise<void>, [object]>;
}

interface Group {
  coordinator: FakeBroker;
  memberId: string;
  generationId: number;
  lastRequest: number;
  heartbeat(args: { interval: number }): Promise<void>;
}

interface Offsets {
  getCoordinator(): Promise<FakeBroker>;
}

const logger = { namespace: () => logger, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const refused = () =>
  Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:19920'), { name: 'KafkaJSConnectionError' });

/** A three-node cluster whose node 1, the group's coordinator, was killed; the group now lives on node 2. */
function clusterAfterFailover() {
  const dead: FakeBroker = { isConnected: () => false, heartbeat: jest.fn((_payload: object) => Promise.reject(refused())) };
  const live: FakeBroker = { isConnected: () => true, heartbeat: jest.fn((_payload: object) => Promise.resolve()) };
  const cluster = {
    findGroupCoordinator: jest.fn(() => Promise.resolve(live)),
    // kafkajs looks the coordinator up again by its node id: the dead node, refused.
    findBroker: jest.fn(() => Promise.reject(refused())),
    committedOffsets: () => ({}),
  };
  const group = new ConsumerGroup({
    cluster,
    groupId: 'coupon-issuer',
    topics: [],
    logger,
    instrumentationEmitter: { emit: () => undefined },
  });
  Object.assign(group, { coordinator: dead, memberId: 'member-1', generationId: 7, lastRequest: 0 });
  const offsets = new OffsetManager({
    cluster,
    coordinator: dead,
    memberAssignment: {},
    groupId: 'coupon-issuer',
    generationId: 7,
    memberId: 'member-1',
  });
  return { dead, live, cluster, group, offsets };
}

describe('kafkajs alone (the defect)', () => {
  it('heartbeats and commits to the dead coordinator for as long as the member lives', async () => {
    const { dead, live, cluster, group, offsets } = clusterAfterFailover();
    await expect(group.heartbeat({ interval: 0 })).rejects.toThrow(/ECONNREFUSED/);
    await expect(group.heartbeat({ interval: 0 })).rejects.toThrow(/ECONNREFUSED/);
    await expect(offsets.getCoordinator()).rejects.toThrow(/ECONNREFUSED/);
    expect(dead.heartbeat).toHaveBeenCalledTimes(2);
    expect(live.heartbeat).not.toHaveBeenCalled();
    expect(cluster.findGroupCoordinator).not.toHaveBeenCalled();
  });
});

describe('fixKafkajsDeadCoordinator (a coordinator that is not connected is found again)', () => {
  beforeAll(() => fixKafkajsDeadCoordinator());

  it('heartbeats to the broker the group moved to, as the same member of the same generation', async () => {
    const { dead, live, group } = clusterAfterFailover();
    await group.heartbeat({ interval: 0 });
    expect(dead.heartbeat).not.toHaveBeenCalled();
    expect(live.heartbeat).toHaveBeenCalledWith({ groupId: 'coupon-issuer', memberId: 'member-1', groupGenerationId: 7 });
    expect(group.coordinator).toBe(live);
  });

  it('commits offsets to the broker the group moved to', async () => {
    const { live, cluster, offsets } = clusterAfterFailover();
    await expect(offsets.getCoordinator()).resolves.toBe(live);
    expect(cluster.findGroupCoordinator).toHaveBeenCalledWith({ groupId: 'coupon-issuer' });
    expect(cluster.findBroker).not.toHaveBeenCalled();
  });

  it('keeps a connected coordinator without asking the cluster', async () => {
    const { live, cluster, group } = clusterAfterFailover();
    group.coordinator = live;
    await group.heartbeat({ interval: 0 });
    expect(live.heartbeat).toHaveBeenCalledTimes(1);
    expect(cluster.findGroupCoordinator).not.toHaveBeenCalled();
  });

  it('fails as before while the cluster still names no live coordinator (the retry then asks again)', async () => {
    const { cluster, group } = clusterAfterFailover();
    cluster.findGroupCoordinator.mockImplementationOnce(() => Promise.reject(refused()));
    await expect(group.heartbeat({ interval: 0 })).rejects.toThrow(/ECONNREFUSED/);
    await group.heartbeat({ interval: 0 });
    expect(cluster.findGroupCoordinator).toHaveBeenCalledTimes(2);
  });

  it('is applied once however often it is called', () => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
    const patched = (ConsumerGroup as unknown as { prototype: Group }).prototype.heartbeat;
    fixKafkajsDeadCoordinator();
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
    expect((ConsumerGroup as unknown as { prototype: Group }).prototype.heartbeat).toBe(patched);
  });
});
