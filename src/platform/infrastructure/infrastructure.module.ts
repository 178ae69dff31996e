import { DynamicModule, Global, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { KafkaModule } from '../kafka/kafka.module';
import { LockManager } from '../locking/lock-manager';
import { InProcessLockManager } from '../locking/in-process-lock-manager';
import { RedisLockManager } from '../locking/redis-lock-manager';
import { REDIS, RedisModule } from '../redis/redis.module';
import { InMemoryRateLimitStorage, RateLimitStorage, RedisRateLimitStorage } from '../auth/auth-rate-limit';
import { InProcessMessageBus } from '../messaging/in-process-message-bus';
import { KafkaMessageBus } from '../messaging/kafka-message-bus';
import { ConsumerMetrics } from '../messaging/consumer-metrics';
import { MessageBus } from '../messaging/message-bus';
import { ConsumerGroups } from '../messaging/message-bus.transport';

/**
 * The one place the profile picks adapters for the ports business modules use (MessageBus,
 * LockManager) and for the login rate limiter's counts (RateLimitStorage). Nothing else in the app asks which profile it runs.
 */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (config.profile === 'full') {
      return {
        module: InfrastructureModule,
        imports: [RedisModule, KafkaModule],
        providers: [
          ConsumerMetrics,
          ConsumerGroups,
          { provide: MessageBus, useClass: KafkaMessageBus },
          { provide: LockManager, useClass: RedisLockManager },
          { provide: RateLimitStorage, inject: [REDIS], useFactory: (redis: Redis) => new RedisRateLimitStorage(redis) },
        ],
        exports: [MessageBus, ConsumerGroups, LockManager, RateLimitStorage, RedisModule, KafkaModule],
      };
    }
    return {
      module: InfrastructureModule,
      providers: [
        ConsumerMetrics,
        ConsumerGroups,
        { provide: MessageBus, useClass: InProcessMessageBus },
        { provide: LockManager, useClass: InProcessLockManager },
        { provide: RateLimitStorage, useClass: InMemoryRateLimitStorage },
      ],
      exports: [MessageBus, ConsumerGroups, LockManager, RateLimitStorage],
    };
  }
}
