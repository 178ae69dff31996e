import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { IncomingMessage, MessageBus, SubscriptionHandle } from '../../../platform/messaging/message-bus';
import { CouponLedger } from './coupon-ledger';
import { COUPON_ISSUE_TOPIC, IssueRequestedEvent } from './coupon-issuer';
import { IssueHints } from './issue-hints';

const RESUBSCRIBE_DELAY_MS = 5_000;
/** Different coupons proceed in parallel on different partitions; one coupon stays on one. */
export const COUPON_ISSUE_PARTITIONS = 12;

/**
 * Decides queued issue requests (consumer group `coupon-issuer`). It runs under both strategies, so
 * requests still queued when an operator switches to `lock` are decided, not stranded.
 */
@Injectable()
export class IssueRequestConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('IssueRequestConsumer');
  private handle?: SubscriptionHandle;
  private subscribing?: Promise<void>;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly bus: MessageBus,
    private readonly ledger: CouponLedger,
    private readonly hints: IssueHints,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.subscribing = this.subscribe();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.subscribing;
    await this.handle?.stop();
    this.handle = undefined;
  }

  /** Groups a batch by coupon (arrival order kept) and decides each group in one transaction. */
  async decideRequests(messages: IncomingMessage[]): Promise<void> {
    const byCoupon = new Map<number, IssueRequestedEvent[]>();
    for (const message of messages) {
      const event = message.value as IssueRequestedEvent;
      byCoupon.set(event.couponId, [...(byCoupon.get(event.couponId) ?? []), event]);
    }
    for (const [couponId, events] of byCoupon) {
      const { soldOut, issuedTo } = await this.ledger.decideQueued(couponId, events);
      // Hints after the commit: they may lag the truth, never lead it.
      if (soldOut) await this.hints.markSoldOut(couponId);
      for (const userId of issuedTo) await this.hints.addHolder(couponId, userId);
    }
  }

  private async subscribe(): Promise<void> {
    try {
      await this.bus.ensureTopics([{ name: COUPON_ISSUE_TOPIC, partitions: COUPON_ISSUE_PARTITIONS }]);
      this.handle = await this.bus.subscribe({
        groupId: 'coupon-issuer',
        topics: [COUPON_ISSUE_TOPIC],
        handleBatch: (messages) => this.decideRequests(messages),
      });
    } catch (error) {
      if (this.stopped) return;
      this.logger.warn(`subscription failed, retrying in ${RESUBSCRIBE_DELAY_MS} ms: ${(error as Error).message}`);
      this.retry = setTimeout(() => (this.subscribing = this.subscribe()), RESUBSCRIBE_DELAY_MS);
    }
  }
}
