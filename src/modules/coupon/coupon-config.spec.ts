import { ConfigError, loadConfig } from '../../platform/config/app-config';
import { COUPON_CONFIG } from './coupon-config';

describe('the coupon settings', () => {
  it('issue with the lock strategy unless COUPON_ISSUE_STRATEGY says queue', () => {
    expect(loadConfig({}, [COUPON_CONFIG]).coupon).toEqual({
      issueStrategy: 'lock',
      lockTtlMs: 3000,
      lockWaitMs: 2000,
      consumerEnabled: true,
    });
    expect(loadConfig({ COUPON_ISSUE_STRATEGY: 'queue', COUPON_ISSUE_CONSUMER_ENABLED: 'false' }, [COUPON_CONFIG]).coupon).toMatchObject({
      issueStrategy: 'queue',
      consumerEnabled: false,
    });
  });

  it('reject an unknown coupon strategy naming the variable', () => {
    expect(() => loadConfig({ COUPON_ISSUE_STRATEGY: 'foo' }, [COUPON_CONFIG])).toThrow(
      new ConfigError('Invalid configuration: "COUPON_ISSUE_STRATEGY" must be one of [lock, queue]'),
    );
    expect(() => loadConfig({ COUPON_LOCK_WAIT_MS: '-1' }, [COUPON_CONFIG])).toThrow(/"COUPON_LOCK_WAIT_MS"/);
  });
});
