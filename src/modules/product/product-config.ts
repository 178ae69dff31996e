import * as Joi from 'joi';
import { type ConfigOf, configSlice } from '../../platform/config/config-slice';

/**
 * The product module's settings, `config.productCache`: the read cache of each instance, products
 * held at most, and how long one may be served without an invalidation (0 in either: off).
 */
export const PRODUCT_CONFIG = configSlice({
  key: 'productCache',
  variables: {
    // 0 turns the cache off. lru-cache sets aside a slot per entry up front: 4 MiB for 100,000 (bench/tools/cache-memory.ts).
    PRODUCT_CACHE_MAX_ENTRIES: Joi.number().integer().min(0).max(1_000_000).default(10_000),
    // The safety net when an invalidation is lost (Redis away): no copy is served older than this. 0 turns the cache off.
    PRODUCT_CACHE_TTL_MS: Joi.number().integer().min(0).max(3_600_000).default(5000),
  },
  settings: (env) => ({ maxEntries: env.PRODUCT_CACHE_MAX_ENTRIES, ttlMs: env.PRODUCT_CACHE_TTL_MS }),
});

type ProductConfig = ConfigOf<typeof PRODUCT_CONFIG>;

declare module '../../platform/config/app-config' {
  interface AppConfig extends ProductConfig {}
}
