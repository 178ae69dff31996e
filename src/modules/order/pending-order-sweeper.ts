import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, runsBackgroundWork } from '../../platform/config/app-config';
import { InjectAppConfig } from '../../platform/config/config.module';
import { untraced } from '../../platform/observability/tracing';
import { OrderService } from './order.service';

/** Cancels PENDING orders past ORDER_PENDING_TTL_SECONDS in the background. */
@Injectable()
export class PendingOrderSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PendingOrderSweeper');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly orders: OrderService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!runsBackgroundWork(this.config)) return; // APP_ROLE=api: the worker processes sweep
    // Often enough that an expired order does not linger much past its TTL, at most once a minute.
    const everyMs = Math.min(60, Math.max(1, this.config.order.pendingTtlSeconds / 4)) * 1000;
    // Its polls are not traced; an order it cancels starts its event's trace at the relay's send.
    this.timer = setInterval(() => {
      this.running ??= untraced(() => this.sweep()).finally(() => (this.running = undefined));
    }, everyMs).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(): Promise<void> {
    try {
      const cancelled = await this.orders.cancelExpired();
      if (cancelled > 0) this.logger.log(`cancelled ${cancelled} expired pending order(s)`);
    } catch (error) {
      this.logger.warn(`sweep failed: ${(error as Error).message}`);
    }
  }
}
