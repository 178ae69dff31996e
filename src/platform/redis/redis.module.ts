import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { InjectAppConfig } from '../config/config.module';
import { AppConfig } from '../config/app-config';

/**
 * Owns the one shared ioredis connection of the full profile. Commands fail fast while Redis is
 * away (no offline queue) so callers can answer 503 instead of hanging; ioredis keeps reconnecting.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis;

  constructor(@InjectAppConfig() config: AppConfig) {
    this.client = new Redis(config.redis.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      // A reply that never comes (a silent server, a half-open connection) must fail the command,
      // not hang the request: REDIS_COMMAND_TIMEOUT_MS bounds every command, redlock's included.
      commandTimeout: config.redis.commandTimeoutMs,
      keyPrefix: config.redis.keyPrefix,
      // Commands issued in the same event-loop turn (concurrent requests) go out in one write.
      enableAutoPipelining: true,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    let lastError = '';
    this.client.on('error', (error: Error) => {
      // Reconnect attempts repeat the same error; log each distinct one once.
      if (error.message !== lastError) this.logger.warn(`redis: ${error.message}`);
      lastError = error.message;
    });
    this.client.on('ready', () => {
      if (lastError) this.logger.log('redis: connected again');
      lastError = '';
    });
  }

  async onModuleInit(): Promise<void> {
    // Start even when Redis is down: readiness reports it and the client reconnects on its own.
    await this.client.connect().catch((error: Error) => this.logger.warn(`redis not reachable at start-up: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

export const REDIS = Symbol('REDIS');
export const InjectRedis = (): ParameterDecorator => Inject(REDIS);

@Global()
@Module({
  providers: [RedisConnection, { provide: REDIS, inject: [RedisConnection], useFactory: (c: RedisConnection) => c.client }],
  exports: [REDIS],
})
export class RedisModule {}
