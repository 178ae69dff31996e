import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
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

  it('treats an error of the event itself as its own failure', () => {
    const tooLarge = new KafkaJSProtocolError('The request included a message larger than the max message size the server will accept');
    expect(isBrokerUnavailable(tooLarge)).toBe(false);
    expect(isBrokerUnavailable(new DependencyUnavailableError('mysql', 'pool exhausted'))).toBe(false);
  });
});
