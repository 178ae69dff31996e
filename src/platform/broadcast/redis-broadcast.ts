import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { InjectRedis } from '../redis/redis.module';
import { BroadcastListener } from './broadcast';
import { InProcessBroadcast } from './in-process-broadcast';

/**
 * Full profile: this process's listeners at once, the other instances' over Redis pub/sub. The
 * messages published in one turn of the event loop leave as one PUBLISH per channel (waiting for
 * a PUBLISH's reply before the next would delay them by the event-loop lag under load); each
 * carries this process's id, so its own subscriber skips what was delivered here already.
 */
@Injectable()
export class RedisBroadcast extends InProcessBroadcast implements OnApplicationShutdown {
  private readonly origin = randomBytes(9).toString('base64url');
  private readonly prefix: string;
  private readonly outgoing = new Map<string, Set<string>>();
  private flushScheduled = false;
  private subscriber?: Promise<Redis>;
  private lastError = '';

  constructor(
    @InjectRedis() private readonly redis: Redis,
    @InjectAppConfig() config: AppConfig,
  ) {
    super();
    // ioredis' keyPrefix applies to keys, not to pub/sub channels: the prefix is written here.
    this.prefix = config.redis.keyPrefix;
  }

  override publish(channel: string, message: string): void {
    super.publish(channel, message);
    const messages = this.outgoing.get(channel) ?? new Set<string>();
    this.outgoing.set(channel, messages.add(message));
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  override async subscribe(channel: string, listener: BroadcastListener): Promise<void> {
    const first = !this.hasListeners(channel);
    await super.subscribe(channel, listener);
    if (!first) return;
    const subscriber = await this.subscriberConnection();
    const subscribed = subscriber.subscribe(this.prefix + channel).then(
      () => undefined,
      (error: Error) => this.logger.warn(`not subscribed to ${this.prefix + channel} yet: ${error.message}`),
    );
    // Connected: wait for the reply. Not: ioredis sends it once Redis answers.
    if (subscriber.status === 'ready') await subscribed;
  }

  async onApplicationShutdown(): Promise<void> {
    (await this.subscriber)?.disconnect();
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const [channel, messages] of this.outgoing) {
      this.redis.publish(this.prefix + channel, encodeBroadcast(this.origin, [...messages])).then(
        () => (this.lastError = ''),
        (error: Error) => {
          if (error.message !== this.lastError)
            this.logger.warn(`broadcast on ${channel} not sent to the other instances (their TTL or poll covers it): ${error.message}`);
          this.lastError = error.message;
        },
      );
    }
    this.outgoing.clear();
  }

  /** One connection for every channel, opened at the first subscription: a subscribed connection can run no other command. */
  private subscriberConnection(): Promise<Redis> {
    this.subscriber ??= (async () => {
      // The SUBSCRIBE waits in the offline queue for as long as Redis is away: with the shared
      // connection's one retry per request it was dropped after two failed reconnects, and an
      // instance started while Redis was down never heard a message.
      const subscriber = this.redis.duplicate({ lazyConnect: true, enableOfflineQueue: true, maxRetriesPerRequest: null });
      subscriber.on('error', () => undefined); // the main connection logs Redis' state
      subscriber.on('message', (wireChannel: string, payload: string) => {
        const { origin, messages } = decodeBroadcast(payload);
        if (origin === this.origin || !wireChannel.startsWith(this.prefix)) return;
        for (const message of messages) this.deliver(wireChannel.slice(this.prefix.length), message, 'remote');
      });
      // ioredis subscribes again after each reconnect; a Redis down at start-up is subscribed once it answers.
      await subscriber.connect().catch(() => undefined);
      return subscriber;
    })();
    return this.subscriber;
  }
}

/** The sender's id, then one message per line. */
export function encodeBroadcast(origin: string, messages: string[]): string {
  return [origin, ...messages].join('\n');
}

/** A payload of one line has no sender id (an older instance's outbox nudge, `1`): it is the message. */
export function decodeBroadcast(payload: string): { origin?: string; messages: string[] } {
  const [first, ...messages] = payload.split('\n');
  return messages.length ? { origin: first, messages } : { messages: [first] };
}
