import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../platform/config/app-config';
import { InjectAppConfig } from '../../platform/config/config.module';
import { decodeCursor, Page, pageOf } from '../../platform/database/cursor';
import { TransactionRunner } from '../../platform/database/transaction-runner';
import { DomainError } from '../../platform/errors/domain-error';
import type { Answer } from '../../platform/idempotency/answer';
import { IdempotencyService } from '../../platform/idempotency/idempotency.service';
import type { IdempotentRequest } from '../../platform/idempotency/idempotent-request';
import { OutboxWriter } from '../../platform/outbox/outbox-writer';
import { CouponWalletService } from '../coupon/coupon-wallet.service';
import { PointService } from '../point/point.service';
import { ProductService } from '../product/product.service';
import type { Order, OrderStatus } from './entities/order.entities';
import { canTransition, cancellationRefunds, payRefusal } from './order-transitions';
import { NewOrder, NewOrderItem, OrderRepository, OrderWithItems } from './order.repository';
import { orderCancelled, orderCompleted } from './contracts/order-events';

export interface OrderView {
  id: number;
  userId: number;
  status: OrderStatus;
  items: Array<{ productId: number; name: string; quantity: number; unitPrice: number; lineTotal: number }>;
  totalAmount: number;
  discountAmount: number;
  finalAmount: number;
  userCouponId: number | null;
  createdAt: string;
  paidAt: string | null;
  cancelledAt: string | null;
}

export interface OrderLine {
  productId: number;
  quantity: number;
}

/**
 * Orders: creation captures prices; payment and cancellation are each one transaction in which the
 * product, coupon and point services join (stock, coupon, points, status and the outbox event).
 * Each use case's commit point is its `transactions.run`, which also stores the answer for the
 * request's Idempotency-Key (`idempotency.once` around it, `store` inside it).
 */
@Injectable()
export class OrderService {
  constructor(
    private readonly orders: OrderRepository,
    private readonly transactions: TransactionRunner,
    private readonly products: ProductService,
    private readonly points: PointService,
    private readonly coupons: CouponWalletService,
    private readonly outbox: OutboxWriter,
    private readonly idempotency: IdempotencyService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async create(userId: number, lines: OrderLine[], userCouponId: number | undefined, key?: IdempotentRequest): Promise<Answer<OrderView>> {
    return this.idempotency.once(key, async (store) => {
      const order = await this.priced(userId, lines, userCouponId);
      return this.transactions.run(async () => store(toView({ id: await this.orders.insert(order), ...order })));
    });
  }

  async get(userId: number, orderId: number): Promise<OrderView> {
    return toView(await this.load(userId, orderId));
  }

  async list(userId: number, query: { limit: number; cursor?: string }): Promise<Page<OrderView>> {
    const rows = await this.orders.listOfUser(userId, query.limit + 1, decodeCursor(query.cursor));
    return pageOf(rows, query.limit, toView);
  }

  /** One transaction: order PAID, stock taken, coupon used, points deducted, order.completed recorded. */
  async pay(userId: number, orderId: number, key?: IdempotentRequest): Promise<Answer<OrderView>> {
    return this.idempotency.once(key, (store) =>
      this.transactions.run(async () => {
        const now = new Date();
        // Conditional transition first: of two concurrent payments exactly one moves the order out of
        // PENDING, and the row it locked is then read once, already PAID.
        const moved = await this.orders.move(userId, orderId, 'PENDING', 'PAID', now);
        const order = await this.load(userId, orderId);
        if (!moved) {
          throw payRefusal(order, now) === 'ORDER_EXPIRED'
            ? new DomainError('ORDER_EXPIRED', `Order ${orderId} expired at ${order.expiresAt.toISOString()}`)
            : new DomainError('ORDER_NOT_PENDING', `Order ${orderId} is not pending`);
        }
        await this.products.reserveStock(order.items);
        if (order.userCouponId) await this.coupons.use(userId, order.userCouponId, order.id);
        await this.points.use(userId, order.finalAmount, order.id);
        await this.outbox.record(orderCompleted(order));
        return store(toView(order));
      }),
    );
  }

  /**
   * PENDING: just cancelled. PAID: stock restored, the coupon given back unless it has expired,
   * points refunded, order.cancelled recorded, all in one transaction.
   */
  async cancel(userId: number, orderId: number, key?: IdempotentRequest): Promise<Answer<OrderView>> {
    return this.idempotency.once(key, (store) =>
      this.transactions.run(async () => {
        const order = await this.load(userId, orderId);
        const now = new Date();
        if (!canTransition(order.status, 'CANCELLED'))
          throw new DomainError('ORDER_NOT_CANCELLABLE', `Order ${orderId} is already cancelled`);
        const wasPaid = cancellationRefunds(order.status);
        const moved = await this.orders.move(userId, orderId, order.status, 'CANCELLED', now);
        if (!moved) throw new DomainError('ORDER_NOT_CANCELLABLE', `Order ${orderId} changed meanwhile; reload it`);
        if (wasPaid) {
          await this.products.restoreStock(order.items);
          const couponBack = order.userCouponId !== null && (await this.coupons.giveBack(userId, order.userCouponId, order.id));
          await this.points.refund(userId, order.finalAmount, order.id);
          await this.outbox.record(orderCancelled(order, couponBack ? order.userCouponId : null));
        }
        return store(toView(Object.assign(order, { status: 'CANCELLED' as const, cancelledAt: now })));
      }),
    );
  }

  /** Cancels PENDING orders past their TTL; returns how many. Safe to run on several instances. */
  async cancelExpired(now = new Date()): Promise<number> {
    return this.transactions.runStatement(() => this.orders.expireAll(now));
  }

  /** A PENDING order of these lines at today's prices, with the coupon's discount; refused when a product cannot be ordered. */
  private async priced(userId: number, lines: OrderLine[], userCouponId: number | undefined): Promise<NewOrder> {
    const ids = lines.map((line) => line.productId);
    if (new Set(ids).size !== ids.length) {
      throw new DomainError('VALIDATION_FAILED', 'Each product may appear once per order', {
        errors: [{ field: 'items', message: 'productId values must be distinct' }],
      });
    }
    const catalogue = await this.products.findMany(ids);
    const items = lines.map((line) => {
      const product = catalogue.get(line.productId);
      if (!product) throw new DomainError('PRODUCT_NOT_FOUND', `Product ${line.productId} does not exist`);
      if (product.status !== 'ON_SALE') throw new DomainError('PRODUCT_NOT_ON_SALE', `Product ${product.id} is not on sale`);
      if (product.stock < line.quantity) throw new DomainError('INSUFFICIENT_STOCK', `Not enough stock for product ${product.id}`);
      return {
        productId: product.id,
        name: product.name,
        quantity: line.quantity,
        unitPrice: product.price,
        lineTotal: product.price * line.quantity,
      };
    });
    const totalAmount = items.reduce((sum, item) => sum + item.lineTotal, 0);
    const discountAmount = userCouponId ? await this.coupons.quote(userId, userCouponId, totalAmount) : 0;
    const now = new Date();
    return {
      userId,
      status: 'PENDING' as const,
      totalAmount,
      discountAmount,
      finalAmount: totalAmount - discountAmount,
      userCouponId: userCouponId ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.order.pendingTtlSeconds * 1000),
      paidAt: null,
      cancelledAt: null,
      items,
    };
  }

  /** The caller's order with its items (read by every payment and cancellation); another user's is answered like a missing one. */
  private async load(userId: number, orderId: number): Promise<OrderWithItems> {
    const order = await this.orders.findOfUser(userId, orderId);
    if (!order) throw new DomainError('ORDER_NOT_FOUND', `Order ${orderId} does not exist`);
    return order;
  }
}

function toView(order: Order & { items: NewOrderItem[] }): OrderView {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    items: order.items.map(({ productId, name, quantity, unitPrice, lineTotal }) => ({ productId, name, quantity, unitPrice, lineTotal })),
    totalAmount: order.totalAmount,
    discountAmount: order.discountAmount,
    finalAmount: order.finalAmount,
    userCouponId: order.userCouponId,
    createdAt: order.createdAt.toISOString(),
    paidAt: order.paidAt?.toISOString() ?? null,
    cancelledAt: order.cancelledAt?.toISOString() ?? null,
  };
}
