import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { MessageBus } from '../../../platform/messaging/message-bus';
import { COUPON_ISSUE_PARTITIONS, COUPON_ISSUE_TOPIC } from '../contracts/issue-requested';

/**
 * Declares the issue-request topic with its partitions where requests are produced: an `api`
 * process that accepts the first request before any worker subscribed must not let the broker
 * create the topic with the default partition count.
 */
@Injectable()
export class CouponTopics implements OnModuleInit {
  private readonly logger = new Logger('CouponTopics');

  constructor(private readonly bus: MessageBus) {}

  async onModuleInit(): Promise<void> {
    // Kafka may be down at start-up: the first accepted request creates it then, with these partitions.
    await this.bus
      .ensureTopics([{ name: COUPON_ISSUE_TOPIC, partitions: COUPON_ISSUE_PARTITIONS }])
      .catch((error: Error) => this.logger.warn(`coupon issue topic not ensured yet: ${error.message}`));
  }
}
