import {
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { DependencyUnavailableError } from '../http/dependency-errors';
import { isBrokerUnavailable } from './outbox-relay';

describe('isBrokerUnavailable (an outage backs off and counts no attempt; a refused event counts one)', () => {
  it("treats the bus's own publish timeout as an outage (a stopped broker fails slower than it)", () => {
    expect(isBrokerUnavailable(new DependencyUnavailableError('kafka', 'publish not acknowledged within 5000 ms'))).toBe(true);
  });

  it('treats a refused connection, even behind the retries, as an outage', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(isBrokerUnavailable(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 5, retryTime: 3200 }))).toBe(true);
  });

  it('treats a cluster that cannot take the write now (leader moving, too few in-sync replicas) as an outage', () => {
    const protocolError = (type: string) => Object.assign(new KafkaJSProtocolError(type), { type });
    for (const type of [
      'NOT_ENOUGH_REPLICAS',
      'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
      'LEADER_NOT_AVAILABLE',
      'NOT_LEADER_FOR_PARTITION',
      // a broker whose metadata lags behind a failover or its own restart
      'UNKNOWN_TOPIC_OR_PARTITION',
    ]) {
      expect(isBrokerUnavailable(new KafkaJSNumberOfRetriesExceeded(protocolError(type), { retryCount: 5, retryTime: 3200 }))).toBe(true);
    }
    expect(isBrokerUnavailable(protocolError('MESSAGE_TOO_LARGE'))).toBe(false);
    expect(
      isBrokerUnavailable(new KafkaJSNumberOfRetriesExceeded(protocolError('INVALID_TOPIC_EXCEPTION'), { retryCount: 0, retryTime: 0 })),
    ).toBe(false);
  });

  it("treats a topic the cluster cannot create now (fewer live brokers than replicas) as an outage, a topic it refuses as the event's own", () => {
    // What kafkajs's createTopics throws (its retrier bails with the error as it is).
    const creation = (...types: string[]) =>
      new KafkaJSAggregateError(
        'Topic creation errors',
        types.map((type) => Object.assign(new KafkaJSProtocolError(type), { name: 'KafkaJSCreateTopicError', type })),
      );
    expect(isBrokerUnavailable(creation('INVALID_REPLICATION_FACTOR'))).toBe(true);
    expect(isBrokerUnavailable(creation('INVALID_REPLICATION_FACTOR', 'NOT_CONTROLLER'))).toBe(true);
    expect(isBrokerUnavailable(creation('INVALID_TOPIC_EXCEPTION'))).toBe(false); // outbox.test's poison event
    expect(isBrokerUnavailable(creation('INVALID_REPLICATION_FACTOR', 'INVALID_TOPIC_EXCEPTION'))).toBe(false);
    expect(isBrokerUnavailable(new KafkaJSAggregateError('Topic creation errors', []))).toBe(false);
    const behindRetries = creation('INVALID_REPLICATION_FACTOR');
    expect(isBrokerUnavailable(Object.assign(new KafkaJSNonRetriableError(behindRetries), { cause: behindRetries }))).toBe(true);
  });

  it('treats an error of the event itself as its own failure', () => {
    const tooLarge = new KafkaJSProtocolError('The request included a message larger than the max message size the server will accept');
    expect(isBrokerUnavailable(tooLarge)).toBe(false);
    expect(isBrokerUnavailable(new DependencyUnavailableError('mysql', 'pool exhausted'))).toBe(false);
  });

  it('treats every kafkajs error of an unreachable broker as an outage, however deep behind the retries', () => {
    const named = (name: string) => Object.assign(new Error(name), { name });
    for (const name of [
      'KafkaJSConnectionError',
      'KafkaJSBrokerNotFound',
      'KafkaJSRequestTimeoutError',
      'KafkaJSConnectionClosedError',
      'KafkaJSLockTimeout',
    ]) {
      expect(isBrokerUnavailable(named(name))).toBe(true);
      expect(
        isBrokerUnavailable(Object.assign(named('KafkaJSError'), { cause: Object.assign(named('Error'), { originalError: named(name) }) })),
      ).toBe(true);
    }
    const protocolError = (type: string) => Object.assign(named('KafkaJSProtocolError'), { type });
    for (const type of ['REPLICA_NOT_AVAILABLE', 'BROKER_NOT_AVAILABLE', 'REQUEST_TIMED_OUT'])
      expect(isBrokerUnavailable(protocolError(type))).toBe(true);
    // Only kafkajs's protocol errors carry a cluster state.
    expect(isBrokerUnavailable(Object.assign(named('Error'), { type: 'LEADER_NOT_AVAILABLE' }))).toBe(false);
  });

  it('treats retries that gave up with no error of their own as an outage', () => {
    expect(isBrokerUnavailable(new KafkaJSNumberOfRetriesExceeded(new Error('gave up'), { retryCount: 5, retryTime: 3200 }))).toBe(false);
    expect(isBrokerUnavailable(Object.assign(new Error('retries exhausted'), { name: 'KafkaJSNumberOfRetriesExceeded' }))).toBe(true);
  });
});
