import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { Histogram } from 'prom-client';
import { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { Metrics } from '../observability/metrics';
import { InjectRedis } from '../redis/redis.module';
import { BroadcastListener } from './broadcast';
import { InProcessBroadcast } from './in-process-broadcast';

/**
 * Full profile: this process's listeners at once, the other instances' over Redis pub/sub. The
 * messages published in one turn of the event loop leave as one PUBLISH per channel (waiting for
 * a PUBLISH's reply before the next would delay them by the event-loop lag under load); each
 * carries this process's id, so its own subscriber skips what was delivered here already, and the
 * time its first message was published: `broadcast_delivery_seconds` is how long the other
 * instances took to act on it (the freshness of their caches; clocks of separate hosts add their skew).
 */
@Injectable()
export class RedisBroadcast extends InProcessBroadcast implements OnApplicationShutdown {
  private readonly origin = randomBytes(9).toString('base64url');
  private readonly prefix: string;
  private readonly outgoing = new Map<string, Set<string>>();
  private flushScheduled = false;
  /** When the first message of the next flush was published (epoch ms). */
  private firstUnsentAt = 0;
  private readonly deliverySeconds: Histogram<'channel'>;
  private subscriber?: Promise<Redis>;
  private lastError = '';

  constructor(
    @InjectRedis() private readonly redis: Redis,
    @InjectAppConfig() config: AppConfig,
    metrics: Metrics,
  ) {
    super();
    // ioredis' keyPrefix applies to keys, not to pub/sub channels: the prefix is written here.
    this.prefix = config.redis.keyPrefix;
    this.deliverySeconds = new Histogram({
      name: 'broadcast_delivery_seconds',
      help: "From another instance's publish (of a product change, say) to this instance acting on it",
      labelNames: ['channel'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5],
      registers: [metrics.registry],
    });
  }

  override publish(channel: string, message: string): void {
    super.publish(channel, message);
    const messages = this.outgoing.get(channel) ?? new Set<string>();
    this.outgoing.set(channel, messages.add(message));
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.firstUnsentAt = Date.now();
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
      this.redis.publish(this.prefix + channel, encodeBroadcast({ origin: this.origin, sentAt: this.firstUnsentAt }, [...messages])).then(
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
        const { origin, sentAt, messages } = decodeBroadcast(payload);
        if (origin === this.origin || !wireChannel.startsWith(this.prefix)) return;
        const channel = wireChannel.slice(this.prefix.length);
        for (const message of messages) this.deliver(channel, message, 'remote');
        if (sentAt !== undefined) this.deliverySeconds.observe({ channel }, Math.max(0, Date.now() - sentAt) / 1000);
      });
      // ioredis subscribes again after each reconnect; a Redis down at start-up is subscribed once it answers.
      await subscriber.connect().catch(() => undefined);
      return subscriber;
    })();
    return this.subscriber;
  }
}

/** The sender's id and the publish time of its first message (epoch ms), then one message per line. */
export function encodeBroadcast(sender: { origin: string; sentAt: number }, messages: string[]): string {
  return [`${sender.origin} ${sender.sentAt}`, ...messages].join('\n');
}

/**
 * A payload of one line has no sender (an older instance's outbox nudge, `1`): it is the message. A
 * sender line without a time is an older instance's. (An older instance reading this format takes the
 * whole first line for the sender id: never its own, so it delivers the messages, as it should.)
 */
export function decodeBroadcast(payload: string): { origin?: string; sentAt?: number; messages: string[] } {
  const [first, ...messages] = payload.split('\n');
  if (!messages.length) return { messages: [first] };
  const [origin, time] = first.split(' ', 2);
  const sentAt = Number(time);
  return { origin, ...(time !== undefined && Number.isSafeInteger(sentAt) ? { sentAt } : {}), messages };
}
