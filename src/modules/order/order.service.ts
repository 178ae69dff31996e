import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { FindOptionsWhere, LessThan } from 'typeorm';
import { AppConfig } from '../../platform/config/app-config';
import { InjectAppConfig } from '../../platform/config/config.module';
import { decodeCursor, Page, pageOf } from '../../platform/database/cursor';
import { dateOf, placeholders, Sql } from '../../platform/database/sql';
import { TransactionRunner } from '../../platform/database/transaction-runner';
import { DomainError } from '../../platform/http/problem-catalog';
import { OutboxWriter } from '../../platform/outbox/outbox-writer';
import { CouponWalletService } from '../coupon/coupon-wallet.service';
import { PointService } from '../point/point.service';
import { ProductService } from '../product/product.service';
import { Order, OrderItem, OrderStatus } from './entities/order.entities';
import { canTransition, cancellationRefunds, payRefusal } from './order-transitions';
import { ORDER_CANCELLED, ORDER_COMPLETED, OrderCancelledData, OrderCompletedData } from './contracts/order-events';

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
 */
@Injectable()
export class OrderService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly transactions: TransactionRunner,
    private readonly products: ProductService,
    private readonly points: PointService,
    private readonly coupons: CouponWalletService,
    private readonly outbox: OutboxWriter,
    private readonly sql: Sql,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  private get orders() {
    return this.txHost.tx.getRepository(Order);
  }

  async create(userId: number, lines: OrderLine[], userCouponId?: number): Promise<OrderView> {
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
    const order = {
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
    // Checkout's hot path: two plain statements in one transaction.
    const id = await this.transactions.run(async () => {
      const { insertId } = await this.sql.run(
        `INSERT INTO orders (user_id, status, total_amount, discount_amount, final_amount, user_coupon_id, created_at, expires_at, paid_at, cancelled_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
        [userId, order.status, totalAmount, discountAmount, order.finalAmount, order.userCouponId, now, order.expiresAt],
      );
      await this.sql.run(
        `INSERT INTO order_items (order_id, product_id, name, quantity, unit_price, line_total) VALUES ${items.map(() => `(${placeholders(6)})`).join(', ')}`,
        items.flatMap((item) => [insertId, item.productId, item.name, item.quantity, item.unitPrice, item.lineTotal]),
      );
      return insertId!;
    });
    return toView({ id, ...order });
  }

  async get(userId: number, orderId: number): Promise<OrderView> {
    return toView(await this.load(userId, orderId));
  }

  async list(userId: number, query: { limit: number; cursor?: string }): Promise<Page<OrderView>> {
    const before = decodeCursor(query.cursor);
    const where: FindOptionsWhere<Order> = { userId };
    if (before !== undefined) where.id = LessThan(before);
    const rows = await this.orders.find({
      where,
      relations: { items: true },
      order: { id: 'DESC', items: { id: 'ASC' } },
      take: query.limit + 1,
    });
    return pageOf(rows, query.limit, toView);
  }

  /** One transaction: order PAID, stock taken, coupon used, points deducted, order.completed recorded. */
  async pay(userId: number, orderId: number): Promise<OrderView> {
    return this.transactions.run(async () => {
      const now = new Date();
      // Conditional transition first: of two concurrent payments exactly one moves the order out of
      // PENDING, and the row it locked is then read once, already PAID.
      const moved = await this.transition(userId, orderId, 'PENDING', 'PAID', now, now);
      const order = await this.load(userId, orderId);
      if (!moved) {
        throw payRefusal(order, now) === 'ORDER_EXPIRED'
          ? new DomainError('ORDER_EXPIRED', `Order ${orderId} expired at ${order.expiresAt.toISOString()}`)
          : new DomainError('ORDER_NOT_PENDING', `Order ${orderId} is not pending`);
      }
      await this.products.reserveStock(order.items);
      if (order.userCouponId) await this.coupons.use(userId, order.userCouponId, order.id);
      await this.points.use(userId, order.finalAmount, order.id);
      await this.outbox.record({ type: ORDER_COMPLETED, key: String(order.id), data: completedData(order) });
      return toView(order);
    });
  }

  /** PENDING: just cancelled. PAID: stock restored, points refunded, order.cancelled recorded; the coupon stays used. */
  async cancel(userId: number, orderId: number): Promise<OrderView> {
    return this.transactions.run(async () => {
      const order = await this.load(userId, orderId);
      const now = new Date();
      if (!canTransition(order.status, 'CANCELLED'))
        throw new DomainError('ORDER_NOT_CANCELLABLE', `Order ${orderId} is already cancelled`);
      const wasPaid = cancellationRefunds(order.status);
      const moved = await this.transition(userId, orderId, order.status, 'CANCELLED', now);
      if (!moved) throw new DomainError('ORDER_NOT_CANCELLABLE', `Order ${orderId} changed meanwhile; reload it`);
      if (wasPaid) {
        await this.products.restoreStock(order.items);
        await this.points.refund(userId, order.finalAmount, order.id);
        const data: OrderCancelledData = {
          orderId: order.id,
          userId,
          items: order.items.map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice })),
          refundedAmount: order.finalAmount,
        };
        await this.outbox.record({ type: ORDER_CANCELLED, key: String(order.id), data });
      }
      return toView(Object.assign(order, { status: 'CANCELLED' as const, cancelledAt: now }));
    });
  }

  /** Cancels PENDING orders past their TTL; returns how many. Safe to run on several instances. */
  async cancelExpired(now = new Date()): Promise<number> {
    return this.transactions.run(async () => {
      const result = await this.orders
        .createQueryBuilder()
        .update()
        .set({ status: 'CANCELLED', cancelledAt: now })
        .where("status = 'PENDING' AND expires_at <= :now", { now })
        .execute();
      return result.affected ?? 0;
    });
  }

  /** The order with its items, in one joined statement (read by every payment and cancellation). */
  private async load(userId: number, orderId: number): Promise<OrderFields> {
    const { rows } = await this.sql.run<OrderRow>(
      `SELECT o.id, o.user_id, o.status, o.total_amount, o.discount_amount, o.final_amount, o.user_coupon_id,
              o.created_at, o.expires_at, o.paid_at, o.cancelled_at,
              i.product_id, i.name, i.quantity, i.unit_price, i.line_total
         FROM orders o LEFT JOIN order_items i ON i.order_id = o.id
        WHERE o.id = ? AND o.user_id = ?
        ORDER BY i.id`,
      [orderId, userId],
    );
    // Another user's order is answered like a missing one.
    if (rows.length === 0) throw new DomainError('ORDER_NOT_FOUND', `Order ${orderId} does not exist`);
    const [first] = rows;
    return {
      id: Number(first.id),
      userId: Number(first.user_id),
      status: first.status,
      totalAmount: Number(first.total_amount),
      discountAmount: Number(first.discount_amount),
      finalAmount: Number(first.final_amount),
      userCouponId: first.user_coupon_id === null ? null : Number(first.user_coupon_id),
      createdAt: dateOf(first.created_at),
      expiresAt: dateOf(first.expires_at),
      paidAt: first.paid_at === null ? null : dateOf(first.paid_at),
      cancelledAt: first.cancelled_at === null ? null : dateOf(first.cancelled_at),
      items: rows
        .filter((row) => row.product_id !== null)
        .map((row) => ({
          productId: Number(row.product_id),
          name: row.name!,
          quantity: Number(row.quantity),
          unitPrice: Number(row.unit_price),
          lineTotal: Number(row.line_total),
        })),
    };
  }

  /** Moves the order from `from` to `to`, stamping when; false when it was not in `from` (or had expired). */
  private async transition(
    userId: number,
    orderId: number,
    from: OrderStatus,
    to: 'PAID' | 'CANCELLED',
    at: Date,
    notExpiredAt?: Date,
  ): Promise<boolean> {
    const stamp = to === 'PAID' ? 'paid_at' : 'cancelled_at';
    const { affected } = await this.sql.run(
      `UPDATE orders SET status = ?, ${stamp} = ? WHERE id = ? AND user_id = ? AND status = ?${notExpiredAt ? ' AND expires_at > ?' : ''}`,
      [to, at, orderId, userId, from, ...(notExpiredAt ? [notExpiredAt] : [])],
    );
    return affected > 0;
  }
}

function completedData(order: OrderFields): OrderCompletedData {
  return {
    orderId: order.id,
    userId: order.userId,
    items: order.items.map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice })),
    totalAmount: order.totalAmount,
    discountAmount: order.discountAmount,
    finalAmount: order.finalAmount,
    userCouponId: order.userCouponId,
  };
}

interface OrderRow {
  id: number;
  user_id: number;
  status: OrderStatus;
  total_amount: number | string;
  discount_amount: number | string;
  final_amount: number | string;
  user_coupon_id: number | null;
  created_at: Date | string;
  expires_at: Date | string;
  paid_at: Date | string | null;
  cancelled_at: Date | string | null;
  product_id: number | null;
  name: string | null;
  quantity: number | null;
  unit_price: number | string | null;
  line_total: number | string | null;
}

type OrderFields = Omit<Order, 'items'> & { items: Array<Pick<OrderItem, 'productId' | 'name' | 'quantity' | 'unitPrice' | 'lineTotal'>> };

function toView(order: OrderFields): OrderView {
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
