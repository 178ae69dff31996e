import type { FactoryProvider, InjectionToken } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';

/**
 * The provider of a module-owned port whose state lives in Redis where the profile has one (full)
 * and in process memory otherwise (embedded). It follows what `InfrastructureModule` provides (it
 * provides `REDIS` in the full profile only), so the module never asks which profile runs.
 * `inject` lists the other dependencies, handed to both factories in that order.
 */
export function redisOrMemory<T, Deps extends unknown[] = []>(
  provide: InjectionToken,
  adapters: { inject?: InjectionToken[]; redis: (redis: Redis, ...deps: Deps) => T; memory: (...deps: Deps) => T },
): FactoryProvider<T> {
  const inject = adapters.inject ?? [];
  return {
    provide,
    inject: [...inject, { token: REDIS, optional: true }],
    useFactory: (...args: unknown[]) => {
      const redis = args[inject.length] as Redis | undefined;
      const deps = args.slice(0, inject.length) as Deps;
      return redis ? adapters.redis(redis, ...deps) : adapters.memory(...deps);
    },
  };
}
