import type { FactoryProvider, InjectionToken } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';

/**
 * A provider for a module's own port with a Redis adapter and an in-process one: the Redis one
 * where InfrastructureModule provides the Redis connection (full profile), the in-process one
 * where it does not (embedded). The module names its two adapters; it never asks for the profile.
 */
export function redisOrInProcess<T, Deps extends unknown[] = []>(
  provide: InjectionToken,
  adapters: { inject?: InjectionToken[]; redis: (redis: Redis, ...deps: Deps) => T; inProcess: (...deps: Deps) => T },
): FactoryProvider<T> {
  return {
    provide,
    inject: [{ token: REDIS, optional: true }, ...(adapters.inject ?? [])],
    useFactory: (redis: Redis | undefined, ...deps: unknown[]) =>
      redis ? adapters.redis(redis, ...(deps as Deps)) : adapters.inProcess(...(deps as Deps)),
  };
}
