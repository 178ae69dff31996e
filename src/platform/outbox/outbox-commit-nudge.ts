import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig, runsBackgroundWork } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { REDIS } from '../redis/redis.module';
import { OutboxSignal } from './outbox-signal';

/**
 * Tells a relay that events were committed, so it publishes them now instead of at its next poll.
 * Where the relay runs in this process (APP_ROLE all or worker) that is the in-process
 * OutboxSignal. An `api` process has no relay: it publishes the nudge on a Redis channel that the
 * relays of the full profile's other processes listen to. A nudge lost while Redis is away costs
 * latency only: the relay's poll (OUTBOX_POLL_INTERVAL_MS) finds the rows all the same.
 */
@Injectable()
export class OutboxCommitNudge implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxCommitNudge');
  private readonly channel: string;
  private readonly relayHere: boolean;
  private subscriber?: Redis;
  private publishScheduled = false;
  private lastError = '';

  constructor(
    private readonly signal: OutboxSignal,
    @InjectAppConfig() config: AppConfig,
    @Optional() @Inject(REDIS) private readonly redis?: Redis,
  ) {
    this.relayHere = runsBackgroundWork(config);
    // ioredis' keyPrefix applies to keys, not to pub/sub channels: the prefix is written here.
    this.channel = `${config.redis.keyPrefix}outbox:committed`;
  }

  /** Called after a transaction that recorded events committed. */
  committed(): void {
    if (this.relayHere) this.signal.notify();
    else this.publish();
  }

  /** The relays listen for other processes' commits (full profile only: the embedded one is a single process). */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.relayHere || !this.redis) return;
    // A connection of its own: a subscribed connection can run no other command.
    const subscriber = this.redis.duplicate({ lazyConnect: true, enableOfflineQueue: true });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined); // the main connection logs Redis' state
    subscriber.on('message', () => this.signal.notify());
    // ioredis subscribes again after each reconnect; a Redis down at start-up is subscribed once it answers.
    await subscriber.connect().catch(() => undefined);
    void subscriber
      .subscribe(this.channel)
      .catch((error: Error) => this.logger.warn(`not subscribed to ${this.channel} yet: ${error.message}`));
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  /**
   * One PUBLISH per turn of the event loop: the commits that end in the same turn share it. (Waiting
   * for the previous PUBLISH's reply instead would delay a nudge by the api's event-loop lag under load.)
   */
  private publish(): void {
    if (!this.redis || this.publishScheduled) return;
    this.publishScheduled = true;
    setImmediate(() => {
      this.publishScheduled = false;
      this.redis!.publish(this.channel, '1').then(
        () => (this.lastError = ''),
        (error: Error) => {
          if (error.message !== this.lastError)
            this.logger.warn(`outbox nudge not published (the relay's poll will find the events): ${error.message}`);
          this.lastError = error.message;
        },
      );
    });
  }
}
