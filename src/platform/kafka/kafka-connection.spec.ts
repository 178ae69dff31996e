import { Logger } from '@nestjs/common';
import { logLevel } from 'kafkajs';
import { loadConfig } from '../config/app-config';
import { KafkaConnection, kafkaLogSeverity } from './kafka-connection';

describe('kafkaLogSeverity', () => {
  it('logs a consumer-group rebalance at debug, not at ERROR', () => {
    // What kafkajs logs at ERROR on every heartbeat while another instance joins the group.
    expect(
      kafkaLogSeverity(
        logLevel.ERROR,
        'Connection: Response Heartbeat(key: 12, version: 3)',
        'The group is rebalancing, so a rejoin is needed',
      ),
    ).toBe('debug');
    expect(kafkaLogSeverity(logLevel.WARN, '[Runner] The group is rebalancing, re-joining')).toBe('debug');
  });

  it('keeps real errors at error and warnings at warn, and drops the deliberate retry cap notice', () => {
    expect(kafkaLogSeverity(logLevel.ERROR, 'Connection: Connection error', 'connect ECONNREFUSED 127.0.0.1:9092')).toBe('error');
    expect(kafkaLogSeverity(logLevel.WARN, 'Producer: something odd')).toBe('warn');
    expect(kafkaLogSeverity(logLevel.WARN, 'Limiting retries for the idempotent producer to Number.MAX_SAFE_INTEGER')).toBe('skip');
  });
});

describe('KafkaConnection.ensureTopics', () => {
  /** A connection over a stand-in admin client that knows `existing` topics with `replicas` replicas each. */
  function connection(env: Record<string, string>, existing: string[] = [], replicas = 1) {
    const kafka = new KafkaConnection(loadConfig({ KAFKA_TOPIC_PREFIX: 'p.', ...env }, []));
    const admin = {
      listTopics: jest.fn().mockResolvedValue(existing),
      createTopics: jest.fn().mockResolvedValue(true),
      fetchTopicMetadata: jest.fn().mockImplementation(({ topics }: { topics: string[] }) =>
        Promise.resolve({
          topics: topics.map((name) => ({
            name,
            partitions: [{ partitionId: 0, replicas: Array.from({ length: replicas }, (_, i) => i) }],
          })),
        }),
      ),
    };
    jest.spyOn(kafka, 'getAdmin').mockResolvedValue(admin as never);
    return { kafka, admin };
  }

  afterEach(() => jest.restoreAllMocks());

  it("creates topics with the broker's replication when nothing is configured", async () => {
    const { kafka, admin } = connection({});
    await kafka.ensureTopics([{ name: 'order.completed' }, { name: 'coupon.issue', numPartitions: 12 }]);
    expect(admin.createTopics).toHaveBeenCalledWith({
      waitForLeaders: true,
      topics: [
        { topic: 'p.order.completed', numPartitions: 6 },
        { topic: 'p.coupon.issue', numPartitions: 12 },
      ],
    });
    expect(admin.fetchTopicMetadata).not.toHaveBeenCalled();
  });

  it('creates topics with KAFKA_REPLICATION_FACTOR replicas and KAFKA_MIN_INSYNC_REPLICAS', async () => {
    const { kafka, admin } = connection({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' }, ['p.order.completed'], 3);
    await kafka.ensureTopics([{ name: 'order.completed' }, { name: 'order.cancelled' }]);
    expect(admin.createTopics).toHaveBeenCalledWith({
      waitForLeaders: true,
      topics: [
        {
          topic: 'p.order.cancelled',
          numPartitions: 6,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
    });
  });

  it('sets only what is configured', async () => {
    expect(connection({ KAFKA_MIN_INSYNC_REPLICAS: '2' }).kafka.replication()).toEqual({
      configEntries: [{ name: 'min.insync.replicas', value: '2' }],
    });
    expect(connection({ KAFKA_REPLICATION_FACTOR: '3' }).kafka.replication()).toEqual({ replicationFactor: 3 });
    expect(connection({ KAFKA_REPLICATION_FACTOR: '-1' }).kafka.replication()).toEqual({});
  });

  it('leaves an existing topic as it is and names it, once, when it has fewer replicas than configured', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { kafka, admin } = connection({ KAFKA_REPLICATION_FACTOR: '3' }, ['p.order.completed'], 1);
    await kafka.ensureTopics([{ name: 'order.completed' }]);
    await kafka.ensureTopics([{ name: 'order.completed' }]);
    expect(admin.createTopics).not.toHaveBeenCalled();
    expect(admin.fetchTopicMetadata).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/topic p\.order\.completed exists with 1 replica\(s\), fewer than KAFKA_REPLICATION_FACTOR=3/);
  });
});
