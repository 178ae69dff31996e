import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { MessageBus } from '../../platform/messaging/message-bus';
import { ORDER_CANCELLED, ORDER_COMPLETED } from './contracts/order-events';

/** Declares the topics the order module's events go to, before anything publishes or consumes. */
@Injectable()
export class OrderTopics implements OnModuleInit {
  private readonly logger = new Logger('OrderTopics');

  constructor(private readonly bus: MessageBus) {}

  async onModuleInit(): Promise<void> {
    // Kafka may be down at start-up: the relay keeps its events and retries until topics exist.
    await this.bus
      .ensureTopics([{ name: ORDER_COMPLETED }, { name: ORDER_CANCELLED }])
      .catch((error: Error) => this.logger.warn(`order topics not ensured yet: ${error.message}`));
  }
}
