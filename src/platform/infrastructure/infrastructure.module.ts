import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
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
 * The one place the profile picks adapters for the ports business modules use (MessageBus,
 * LockManager). Nothing else in the app asks which profile it runs.
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
        ],
        exports: [MessageBus, ConsumerGroups, LockManager, RedisModule, KafkaModule],
      };
    }
    return {
      module: InfrastructureModule,
      providers: [
        ConsumerMetrics,
        ConsumerGroups,
        { provide: MessageBus, useClass: InProcessMessageBus },
        { provide: LockManager, useClass: InProcessLockManager },
      ],
      exports: [MessageBus, ConsumerGroups, LockManager],
    };
  }
}
