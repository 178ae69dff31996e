import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Broadcast } from '../broadcast/broadcast';
import { InProcessBroadcast } from '../broadcast/in-process-broadcast';
import { RedisBroadcast } from '../broadcast/redis-broadcast';
import { KafkaModule } from '../kafka/kafka.module';
import { LockManager } from '../locking/lock-manager';
import { InProcessLockManager } from '../locking/in-process-lock-manager';
import { RedisLockManager } from '../locking/redis-lock-manager';
import { RedisModule } from '../redis/redis.module';
import { InProcessMessageBus } from '../messaging/in-process-message-bus';
import { KafkaMessageBus } from '../messaging/kafka-message-bus';
import { ConsumerMetrics } from '../messaging/consumer-metrics';
import { MessageBus } from '../messaging/message-bus';
import { ConsumerGroups } from '../messaging/message-bus.transport';

/**
 * Picks the profile's adapters for the platform ports business modules use (MessageBus,
 * LockManager, Broadcast), and whether there is a Redis at all. The profile is read in one other
 * place: `DatabaseModule` (the data source and its `SqlDialect`, which carries every engine
 * difference of Sql, TransactionRunner and the outbox).
 * A module's own port with a Redis and a memory adapter follows this choice through
 * `redisOrMemory()`. Apart from configuration defaults and the log format, nothing else asks
 * which profile runs.
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
          { provide: Broadcast, useClass: RedisBroadcast },
        ],
        exports: [MessageBus, ConsumerGroups, LockManager, Broadcast, RedisModule, KafkaModule],
      };
    }
    return {
      module: InfrastructureModule,
      providers: [
        ConsumerMetrics,
        ConsumerGroups,
        { provide: MessageBus, useClass: InProcessMessageBus },
        { provide: LockManager, useClass: InProcessLockManager },
        { provide: Broadcast, useClass: InProcessBroadcast },
      ],
      exports: [MessageBus, ConsumerGroups, LockManager, Broadcast],
    };
  }
}
