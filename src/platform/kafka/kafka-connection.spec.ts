import { logLevel } from 'kafkajs';
import { kafkaLogSeverity } from './kafka-connection';

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
