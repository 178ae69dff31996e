import { QueryFailedError } from 'typeorm';
import { DependencyUnavailableError, unavailableDependency } from './dependency-errors';

describe('unavailableDependency', () => {
  const driverError = (fields: Record<string, unknown>) => Object.assign(new Error('driver'), fields);

  it('names MySQL for connection failures, whether wrapped by TypeORM or raised by the pool', () => {
    expect(
      unavailableDependency(new QueryFailedError('SELECT 1', [], driverError({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }))),
    ).toBe('mysql');
    expect(unavailableDependency(new QueryFailedError('SELECT 1', [], driverError({ code: 'ECONNRESET' })))).toBe('mysql');
    expect(unavailableDependency(driverError({ code: 'ECONNREFUSED', fatal: true }))).toBe('mysql');
    expect(unavailableDependency(new DependencyUnavailableError('mysql', 'no connection'))).toBe('mysql');
  });

  it('leaves errors of the statement itself alone', () => {
    expect(unavailableDependency(new QueryFailedError('INSERT', [], driverError({ code: 'ER_DUP_ENTRY' })))).toBeUndefined();
    expect(unavailableDependency(new Error('boom'))).toBeUndefined();
    expect(unavailableDependency('not an error')).toBeUndefined();
  });

  it('names Redis and Kafka from their clients’ errors', () => {
    expect(unavailableDependency(new Error('Command timed out'))).toBe('redis');
    expect(unavailableDependency(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe('redis');
    expect(unavailableDependency(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }))).toBe('kafka');
  });

  it('names Redis for the answers of a server in a Sentinel failover, not for a command refused on its own', () => {
    const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
    expect(unavailableDependency(reply("READONLY You can't write against a read only replica."))).toBe('redis');
    expect(unavailableDependency(reply('MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.'))).toBe('redis');
    expect(unavailableDependency(reply('LOADING Redis is loading the dataset in memory'))).toBe('redis');
    expect(unavailableDependency(reply('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBeUndefined();
  });
});
