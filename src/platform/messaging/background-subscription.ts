import { Logger } from '@nestjs/common';
import { type MessageBus, type Subscription, type SubscriptionHandle } from './message-bus';

const RESUBSCRIBE_DELAY_MS = 5_000;

/**
 * A subscription that joins in the background and keeps trying while the broker is away, so the
 * app starts (and serves) with Kafka down; stop() waits for a join in progress before leaving.
 */
export class BackgroundSubscription {
  private readonly logger: Logger;
  private handle?: SubscriptionHandle;
  private joining?: Promise<void>;
  private retry?: NodeJS.Timeout;
  private stopped = true;

  constructor(
    private readonly bus: MessageBus,
    private readonly subscription: Subscription,
  ) {
    this.logger = new Logger(`Subscription:${subscription.groupId}`);
  }

  start(): void {
    this.stopped = false;
    this.joining = this.join();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.joining;
    await this.handle?.stop();
    this.handle = undefined;
  }

  private async join(): Promise<void> {
    try {
      this.handle = await this.bus.subscribe(this.subscription);
    } catch (error) {
      if (this.stopped) return;
      this.logger.warn(`subscription failed, retrying in ${RESUBSCRIBE_DELAY_MS} ms: ${(error as Error).message}`);
      this.retry = setTimeout(() => {
        this.joining = this.join();
      }, RESUBSCRIBE_DELAY_MS);
    }
  }
}
