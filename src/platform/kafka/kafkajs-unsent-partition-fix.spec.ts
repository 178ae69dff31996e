import { Partitioners, type Producer, type ProducerBatch, type RecordMetadata } from 'kafkajs';
import { unavailableDependency } from '../http/dependency-errors';
import { recordingPartitioner, sendBatchDelivered } from './kafkajs-unsent-partition-fix';

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's own send loop and retrier, which its typings do not export */
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (deps: object) => (batch: object) => Promise<RecordMetadata[]>;
const createRetry = require('kafkajs/src/retry') as (options: object) => unknown;
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => Error };
/* eslint-enable @typescript-eslint/no-require-imports */

const NOT_LEADER_FOR_PARTITION = 6;
const TOPIC = 'orders';
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

interface Produced {
  node: number;
  partition: number;
  key: string;
}

/**
 * kafkajs's real send loop over two fake brokers: partition 0 led by node 1, partition 1 by node 2.
 * Node 2 answers its first produce with NOT_LEADER_FOR_PARTITION, and the metadata refresh that
 * follows says partition 1 moved to node 1 (a clean stop of node 2).
 */
function clusterWhereALeaderMoves() {
  const leaders = new Map([
    [0, 1],
    [1, 2],
  ]);
  const produced: Produced[] = [];
  let refusals = 1;
  const broker = (nodeId: number) => ({
    nodeId,
    produce: ({
      topicData,
    }: {
      topicData: Array<{ topic: string; partitions: Array<{ partition: string; messages: Array<{ key: string }> }> }>;
    }) => {
      if (nodeId === 2 && refusals-- > 0) return Promise.reject(createErrorFromCode(NOT_LEADER_FOR_PARTITION));
      for (const { partitions } of topicData)
        for (const { partition, messages } of partitions)
          for (const { key } of messages) produced.push({ node: nodeId, partition: Number(partition), key });
      return Promise.resolve({
        topics: topicData.map(({ topic, partitions }) => ({
          topicName: topic,
          partitions: partitions.map(({ partition }) => ({ partition: Number(partition), errorCode: 0, baseOffset: '0' })),
        })),
      });
    },
  });
  const brokers = new Map([1, 2].map((nodeId) => [nodeId, broker(nodeId)]));
  const cluster = {
    refreshMetadataIfNecessary: () => Promise.resolve(),
    refreshMetadata: () => {
      leaders.set(1, 1);
      return Promise.resolve();
    },
    addMultipleTargetTopics: () => Promise.resolve(),
    isConnected: () => true,
    findTopicPartitionMetadata: () => [...leaders].map(([partitionId, leader]) => ({ partitionId, leader })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const byLeader: Record<number, string[]> = {};
      for (const partition of partitions) (byLeader[leaders.get(Number(partition))!] ??= []).push(partition);
      return byLeader;
    },
    findBroker: ({ nodeId }: { nodeId: string }) => Promise.resolve(brokers.get(Number(nodeId))),
  };
  const eosManager = {
    acquireBrokerLock: () => Promise.resolve(),
    releaseBrokerLock: () => Promise.resolve(),
    isTransactional: () => false,
    getSequence: () => 0,
    updateSequence: () => undefined,
    getProducerId: () => -1,
    getProducerEpoch: () => 0,
  };
  const send = createSendMessages({
    logger: silent,
    cluster,
    partitioner: recordingPartitioner(Partitioners.DefaultPartitioner)(),
    eosManager,
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
  });
  const producer = { sendBatch: (batch: ProducerBatch) => send({ acks: -1, ...batch }) } as unknown as Producer;
  return { producer, produced };
}

// Keys that the default partitioner spreads over both partitions.
const messages = () => Array.from({ length: 12 }, (_, i) => ({ key: `order-${i}`, value: '{}' }));

describe('sendBatchDelivered (kafkajs could resolve a send without the messages of a partition whose leader moved)', () => {
  it('kafkajs 2.2.4 alone: the send resolves, yet the moved partition’s messages were never produced', async () => {
    const { producer, produced } = clusterWhereALeaderMoves();
    const batch = messages();
    const answer = await producer.sendBatch({ topicMessages: [{ topic: TOPIC, messages: batch }] });
    expect(answer.map((r) => r.partition)).toEqual([0]);
    // If this starts failing, kafkajs fixed its retry: review whether the fix is still needed.
    expect(new Set(produced.map((p) => p.key)).size).toBeLessThan(batch.length);
  });

  it('sends the missing messages again, to the partition’s new leader, and resolves once every one is acknowledged', async () => {
    const { producer, produced } = clusterWhereALeaderMoves();
    const batch = messages();
    const answer = await sendBatchDelivered(producer, { topicMessages: [{ topic: TOPIC, messages: batch }] });
    expect(produced.map((p) => p.key).sort()).toEqual(batch.map((m) => m.key).sort()); // each once
    expect(new Set(produced.filter((p) => p.partition === 1).map((p) => p.node))).toEqual(new Set([1]));
    expect(new Set(answer.map((r) => r.partition))).toEqual(new Set([0, 1]));
  });

  it('fails as "Kafka unavailable" when a partition stays missing from every acknowledgement', async () => {
    const partitioner = recordingPartitioner(Partitioners.DefaultPartitioner)();
    let sends = 0;
    const producer = {
      sendBatch: ({ topicMessages = [] }: ProducerBatch) => {
        sends++;
        const metadata = { partitionId: 0, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] };
        const partitions = topicMessages.flatMap(({ topic, messages }) =>
          messages.map((message) => partitioner({ topic, message, partitionMetadata: [metadata, { ...metadata, partitionId: 1 }] })),
        );
        // Only partition 0 is ever acknowledged.
        return Promise.resolve(partitions.includes(0) ? [{ topicName: TOPIC, partition: 0, errorCode: 0 }] : []);
      },
    } as unknown as Producer;
    const sending = sendBatchDelivered(producer, { topicMessages: [{ topic: TOPIC, messages: messages() }] });
    await expect(sending).rejects.toThrow(/still unacknowledged after 3 resends/);
    expect(unavailableDependency(await sending.catch((error: unknown) => error))).toBe('kafka');
    expect(sends).toBe(4);
  });

  it('refuses to judge messages its partitioner did not place', async () => {
    const producer = { sendBatch: () => Promise.resolve([]) } as unknown as Producer;
    await expect(sendBatchDelivered(producer, { topicMessages: [{ topic: TOPIC, messages: messages() }] })).rejects.toThrow(
      /without recordingPartitioner/,
    );
  });
});
