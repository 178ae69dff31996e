import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../../platform/config/app-config';
import { InjectAppConfig } from '../../../platform/config/config.module';
import { BackgroundSubscription } from '../../../platform/messaging/background-subscription';
import { IncomingMessage, MessageBus } from '../../../platform/messaging/message-bus';
import { CouponIssueMetrics } from './coupon-issue-metrics';
import { CouponLedger } from './coupon-ledger';
import { COUPON_ISSUE_TOPIC, IssueRequestedEvent } from './coupon-issuer';
import { IssueHints } from './issue-hints';

/** Different coupons proceed in parallel on different partitions; one coupon stays on one. */
export const COUPON_ISSUE_PARTITIONS = 12;

/**
 * Decides queued issue requests (consumer group `coupon-issuer`). It runs under both strategies, so
 * requests still queued when an operator switches to `lock` are decided, not stranded.
 */
@Injectable()
export class IssueRequestConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly subscription: BackgroundSubscription;

  constructor(
    bus: MessageBus,
    private readonly ledger: CouponLedger,
    private readonly hints: IssueHints,
    @InjectAppConfig() private readonly config: AppConfig,
    private readonly metrics: CouponIssueMetrics,
  ) {
    this.subscription = new BackgroundSubscription(bus, {
      groupId: 'coupon-issuer',
      topics: [COUPON_ISSUE_TOPIC],
      partitions: COUPON_ISSUE_PARTITIONS,
      handleBatch: (messages) => this.decideRequests(messages),
    });
  }

  onApplicationBootstrap(): void {
    // An API-only instance accepts queued requests and leaves deciding them to worker instances.
    if (!this.config.coupon.consumerEnabled) {
      new Logger('IssueRequestConsumer').log('COUPON_ISSUE_CONSUMER_ENABLED=false: queued issue requests are decided elsewhere');
      return;
    }
    this.subscription.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.subscription.stop();
  }

  /** Groups a batch by coupon (arrival order kept) and decides each group in one transaction. */
  async decideRequests(messages: IncomingMessage[]): Promise<void> {
    const byCoupon = new Map<number, IssueRequestedEvent[]>();
    for (const message of messages) {
      const event = message.value as IssueRequestedEvent;
      const group = byCoupon.get(event.couponId);
      if (group) group.push(event);
      else byCoupon.set(event.couponId, [event]);
    }
    for (const [couponId, events] of byCoupon) {
      const { soldOut, issuedTo } = await this.ledger.decideQueued(couponId, events);
      const decidedAt = Date.now();
      for (const event of events) this.metrics.requestAge.observe(Math.max(0, decidedAt - Date.parse(event.requestedAt)) / 1000);
      // Hints after the commit: they may lag the truth, never lead it.
      if (soldOut) await this.hints.markSoldOut(couponId);
      await this.hints.addHolders(couponId, issuedTo);
    }
  }
}
