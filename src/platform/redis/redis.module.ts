import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis, { Command, type RedisOptions } from 'ioredis';
import { InjectAppConfig } from '../config/config.module';
import { AppConfig } from '../config/app-config';

// Between a PING that failed and the next one.
const PROBE_GAP_MS = 100;

/**
 * Owns the one shared ioredis connection of the full profile. Commands fail fast while Redis is
 * away (no offline queue) so callers can answer 503 instead of hanging; ioredis keeps reconnecting.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis;
  /** Set while a connected Redis stops answering (a command timed out), until a PING is answered. */
  private probing?: NodeJS.Timeout;

  private readonly sentinel: boolean;
  private readonly connectTimeoutMs: number;

  constructor(@InjectAppConfig() config: AppConfig) {
    this.sentinel = config.redis.sentinel !== undefined;
    this.connectTimeoutMs = config.redis.connectTimeoutMs;
    this.client = new Redis(config.redis.url, {
      ...sentinelOptions(config),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // A server that accepts the connection and never answers the handshake: the attempt fails and
      // ioredis tries again (retryStrategy), so commands meanwhile fail fast instead of queuing.
      connectTimeout: config.redis.connectTimeoutMs,
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
    this.failFastWhileSilent();
  }

  /**
   * A silent Redis (a partition) keeps the connection "ready", so each command would wait out its
   * own timeout, one after another within a request. After one times out, commands fail at once
   * until a PING (each bounded by the command timeout, the next sent right after) is answered.
   * Only a ready connection is probed: once it closes, ioredis fails commands itself while it
   * reconnects, and the new connection's handshake (its INFO ready check) must go through. Failing
   * that INFO too kept the client reconnecting for good, as no PING can be answered before ready.
   */
  private failFastWhileSilent(): void {
    const client = this.client;
    const send = client.sendCommand.bind(client);
    client.sendCommand = (command: Command, ...rest: unknown[]) => {
      // Sent all the same, so that pipelines stay whole and each reply still meets its command;
      // only the caller stops waiting (as a command timeout does).
      const result = (send as (c: Command, ...r: unknown[]) => unknown)(command, ...rest);
      if (this.probing && client.status === 'ready' && command.name !== 'ping') command.reject(new Error('Command timed out'));
      command.promise.catch((error: Error) => {
        if (error.message === 'Command timed out' && !this.probing && client.status === 'ready') this.startProbing();
      });
      return result;
    };
    client.on('close', () => this.stopProbing());
  }

  private stopProbing(): void {
    clearTimeout(this.probing);
    this.probing = undefined;
  }

  private startProbing(): void {
    this.logger.warn('redis: not answering; commands fail fast until it answers again');
    const probe = (): void =>
      void this.client.ping().then(
        () => {
          this.probing = undefined;
          this.logger.log('redis: answering again');
        },
        () => {
          if (this.probing) this.probing = setTimeout(probe, PROBE_GAP_MS);
        },
      );
    this.probing = setTimeout(probe, 0);
  }

  async onModuleInit(): Promise<void> {
    // Start even when Redis is down: readiness reports it and the client reconnects on its own.
    const connected = this.client.connect().catch((error: Error) => this.logger.warn(`redis not reachable at start-up: ${error.message}`));
    if (!this.sentinel) return connected;
    // With Sentinel, connect() settles only once a master is found (it asks the Sentinels round after
    // round), so start-up waits no longer than a connection's budget for it.
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn('redis: no master from the Sentinels at start-up yet; still asking');
        resolve();
      }, this.connectTimeoutMs);
    });
    await Promise.race([connected, budget]);
    clearTimeout(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopProbing();
    // With Sentinel, quit() leaves ioredis' failover detector subscribed on the Sentinels, and those
    // connections (or their 60 s reconnect timers) keep the process alive; disconnect() closes them
    // too (redis/ioredis#1362).
    if (this.sentinel) this.client.disconnect();
    else await this.client.quit().catch(() => this.client.disconnect());
  }
}

/**
 * With REDIS_SENTINELS and REDIS_SENTINEL_MASTER: the master is asked of the Sentinels (on every
 * (re)connect), so after a failover the client reconnects to the new master. REDIS_URL's host and
 * port are then unused; its user, password and database number still apply to the master. Every
 * other option stays, and `duplicate()` copies these too (a subscriber follows the master as well).
 */
export function sentinelOptions(config: Pick<AppConfig, 'redis'>): RedisOptions {
  const sentinel = config.redis.sentinel;
  if (!sentinel) return {};
  return {
    sentinels: sentinel.hosts,
    name: sentinel.masterName,
    // Listen for +switch-master on the Sentinels: reconnect at once to a new master, not only once the old one fails.
    failoverDetector: true,
    // A master demoted to replica (it came back after a failover) answers writes READONLY: reconnect, which asks the Sentinels.
    reconnectOnError: (error) => /^READONLY /.test(error.message),
    // Sentinels unreachable: try again, as the master connection's retryStrategy does.
    sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
}

export const REDIS = Symbol('REDIS');
export const InjectRedis = (): ParameterDecorator => Inject(REDIS);

@Global()
@Module({
  providers: [RedisConnection, { provide: REDIS, inject: [RedisConnection], useFactory: (c: RedisConnection) => c.client }],
  exports: [REDIS],
})
export class RedisModule {}
