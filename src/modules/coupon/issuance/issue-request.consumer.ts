import { OnModuleInit } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AppConfig } from '../../../platform/config/app-config';
import { InjectAppConfig } from '../../../platform/config/config.module';
import { IncomingMessage } from '../../../platform/messaging/message-bus';
import { ConsumerExtras, ConsumerGroups, MessageConsumer } from '../../../platform/messaging/message-bus.transport';
import { CouponIssueMetrics } from './coupon-issue-metrics';
import { CouponLedger } from './coupon-ledger';
import { COUPON_ISSUE_PARTITIONS, COUPON_ISSUE_TOPIC, IssueRequestedEvent, parseIssueRequested } from '../contracts/issue-requested';
import { IssueHints } from './issue-hints';

export const COUPON_ISSUER_GROUP = 'coupon-issuer';

/**
 * Decides queued issue requests (consumer group `coupon-issuer`). It runs under both strategies, so
 * requests still queued when an operator switches to `lock` are decided, not stranded.
 */
@MessageConsumer()
export class IssueRequestConsumer implements OnModuleInit {
  constructor(
    private readonly ledger: CouponLedger,
    private readonly hints: IssueHints,
    private readonly groups: ConsumerGroups,
    @InjectAppConfig() private readonly config: AppConfig,
    private readonly metrics: CouponIssueMetrics,
  ) {}

  onModuleInit(): void {
    // Deprecated switch (APP_ROLE=api stops every consumer group): this instance accepts queued
    // requests and leaves deciding them to others.
    if (!this.config.coupon.consumerEnabled) {
      this.groups.disable(
        COUPON_ISSUER_GROUP,
        'COUPON_ISSUE_CONSUMER_ENABLED=false (deprecated: use APP_ROLE=api): queued issue requests are decided elsewhere',
      );
    }
  }

  /** Groups a batch by coupon (arrival order kept) and decides each group in one transaction (CouponLedger.decideQueued). */
  @EventPattern(COUPON_ISSUE_TOPIC, { group: COUPON_ISSUER_GROUP, partitions: COUPON_ISSUE_PARTITIONS } satisfies ConsumerExtras)
  async decideRequests(@Payload() messages: IncomingMessage[]): Promise<void> {
    const byCoupon = new Map<number, IssueRequestedEvent[]>();
    // Parsed before any is decided: a malformed request fails the batch, whose good requests the runner then decides one by one.
    for (const event of messages.map((message) => parseIssueRequested(message.value))) {
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
