import { Global, Module } from '@nestjs/common';
import { CacheMetrics } from './cache-metrics';

/** The metrics every in-process read cache (`ReadCache`) reports to, by its `cache` label. */
@Global()
@Module({ providers: [CacheMetrics], exports: [CacheMetrics] })
export class CacheModule {}
