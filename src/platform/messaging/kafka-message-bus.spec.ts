import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import type { KafkaConnection } from '../kafka/kafka-connection';
import type { ConsumerMetrics } from './consumer-metrics';
import { KafkaMessageBus } from './kafka-message-bus';

/** The broker's answer once a topic is gone: kafkajs retries it, then gives up with this. */
function unknownTopic(): Error {
  const cause = new KafkaJSProtocolError('This server does not host this topic-partition');
  Object.assign(cause, { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  return new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 3200 });
}

describe('KafkaMessageBus publishing to a topic the broker lost', () => {
  it('creates the topic again on the next publish instead of failing on it for ever', async () => {
    const sendBatch = jest.fn().mockResolvedValue(undefined);
    const ensureTopics = jest.fn().mockResolvedValue(undefined);
    const connection = {
      produceTimeoutMs: 5_000,
      topic: (name: string) => name,
      ensureTopics,
      getProducer: () => Promise.resolve({ sendBatch }),
    } as unknown as KafkaConnection;
    const bus = new KafkaMessageBus(connection, {} as ConsumerMetrics);
    const message = { topic: 'order.completed', key: '1', value: { orderId: 1 }, headers: {} };

    await bus.publish([message]);
    expect(ensureTopics).toHaveBeenCalledTimes(1);
    await bus.publish([message]); // still known: no second check
    expect(ensureTopics).toHaveBeenCalledTimes(1);

    sendBatch.mockReset().mockRejectedValueOnce(unknownTopic()).mockResolvedValue(undefined);
    await expect(bus.publish([message])).rejects.toThrow('does not host this topic-partition');
    await bus.publish([message]);
    expect(ensureTopics).toHaveBeenCalledTimes(2);
    expect(ensureTopics).toHaveBeenLastCalledWith([expect.objectContaining({ name: 'order.completed' })]);
  });
});
