import { Injectable, Logger } from '@nestjs/common';
import { Broadcast, BroadcastListener, BroadcastOrigin } from './broadcast';

/** Embedded profile: one process is every instance there is. Also the local half of the Redis adapter. */
@Injectable()
export class InProcessBroadcast extends Broadcast {
  protected readonly logger = new Logger('Broadcast');
  private readonly listeners = new Map<string, BroadcastListener[]>();

  publish(channel: string, message: string): void {
    if (message.includes('\n')) throw new Error(`broadcast on ${channel}: a message is one line`);
    this.deliver(channel, message, 'local');
  }

  subscribe(channel: string, listener: BroadcastListener): Promise<void> {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
    return Promise.resolve();
  }

  protected hasListeners(channel: string): boolean {
    return this.listeners.has(channel);
  }

  /** A listener that throws is logged and the others still run: publishing happens after commits, where nothing may fail. */
  protected deliver(channel: string, message: string, origin: BroadcastOrigin): void {
    for (const listener of this.listeners.get(channel) ?? []) {
      try {
        listener(message, origin);
      } catch (error) {
        this.logger.error(`listener of ${channel} failed: ${(error as Error).message}`);
      }
    }
  }
}
