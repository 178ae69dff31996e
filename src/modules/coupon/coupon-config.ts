import * as Joi from 'joi';
import { type ConfigOf, configSlice } from '../../platform/config/config-slice';

export type CouponIssueStrategy = 'lock' | 'queue';

/** The coupon module's settings, `config.coupon`: how copies are issued. */
export const COUPON_CONFIG = configSlice({
  key: 'coupon',
  variables: {
    COUPON_ISSUE_STRATEGY: Joi.string<CouponIssueStrategy>().valid('lock', 'queue').default('lock'),
    COUPON_LOCK_TTL_MS: Joi.number().integer().min(100).max(60_000).default(3000),
    COUPON_LOCK_WAIT_MS: Joi.number().integer().min(0).max(60_000).default(2000),
    // Deprecated (APP_ROLE=api replaces it): false keeps only the coupon-issuer group from starting here.
    COUPON_ISSUE_CONSUMER_ENABLED: Joi.boolean().default(true),
  },
  settings: (env) => ({
    issueStrategy: env.COUPON_ISSUE_STRATEGY,
    lockTtlMs: env.COUPON_LOCK_TTL_MS,
    lockWaitMs: env.COUPON_LOCK_WAIT_MS,
    consumerEnabled: env.COUPON_ISSUE_CONSUMER_ENABLED,
  }),
});

type CouponConfig = ConfigOf<typeof COUPON_CONFIG>;

declare module '../../platform/config/app-config' {
  interface AppConfig extends CouponConfig {}
}
