import { Injectable } from '@nestjs/common';
import { dateOf, placeholders, Sql } from '../../platform/database/sql';
import type { Order, OrderItem, OrderStatus } from './entities/order.entities';
import { canTransition, EXPIRY, needsUnexpired, STAMPED_ON_ENTRY, TargetStatus } from './order-transitions';

/** An order with its lines, as stored. */
export type OrderRecord = Omit<Order, 'items'> & { items: OrderLineRecord[] };
export type OrderLineRecord = Pick<OrderItem, 'productId' | 'name' | 'quantity' | 'unitPrice' | 'lineTotal'>;
export type NewOrder = Omit<OrderRecord, 'id'>;

/**
 * All SQL of `orders` and `order_items`. Create, pay and cancel run on every checkout, so every
 * statement here is plain SQL through `Sql`, and rows become records in one mapper
 * ({@link ordersFromRows}).
 */
@Injectable()
export class OrderRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts the order and its lines (two statements: run it inside a transaction); returns the id. */
  async insert(order: NewOrder): Promise<number> {
    const { insertId } = await this.sql.run(
      `INSERT INTO orders (user_id, status, total_amount, discount_amount, final_amount, user_coupon_id, created_at, expires_at, paid_at, cancelled_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        order.userId,
        order.status,
        order.totalAmount,
        order.discountAmount,
        order.finalAmount,
        order.userCouponId,
        order.createdAt,
        order.expiresAt,
        order.paidAt,
        order.cancelledAt,
      ],
    );
    await this.sql.run(
      `INSERT INTO order_items (order_id, product_id, name, quantity, unit_price, line_total) VALUES ${order.items.map(() => `(${placeholders(6)})`).join(', ')}`,
      order.items.flatMap((item) => [insertId, item.productId, item.name, item.quantity, item.unitPrice, item.lineTotal]),
    );
    return insertId!;
  }

  /** The user's order with its lines, in one joined statement; undefined for a missing order or another user's. */
  async findOfUser(userId: number, orderId: number): Promise<OrderRecord | undefined> {
    const { rows } = await this.sql.run<OrderRow>(
      `${SELECT_WITH_ITEMS} FROM orders o ${JOIN_ITEMS} WHERE o.id = ? AND o.user_id = ? ORDER BY i.id`,
      [orderId, userId],
    );
    return ordersFromRows(rows)[0];
  }

  /** Up to `limit` of the user's orders with their lines, newest first, with ids below `beforeId` when given. */
  async listOfUser(userId: number, limit: number, beforeId?: number): Promise<OrderRecord[]> {
    const { rows } = await this.sql.run<OrderRow>(
      `${SELECT_WITH_ITEMS}
         FROM (SELECT * FROM orders WHERE user_id = ?${beforeId === undefined ? '' : ' AND id < ?'} ORDER BY id DESC LIMIT ?) o
         ${JOIN_ITEMS}
        ORDER BY o.id DESC, i.id`,
      [userId, ...(beforeId === undefined ? [] : [beforeId]), limit],
    );
    return ordersFromRows(rows);
  }

  /**
   * Moves the order from `from` to `to` (stamping `at`) in one conditional UPDATE; false when it was
   * no longer in `from`, or had expired by `at` for a move that needs it unexpired. Of two
   * concurrent moves out of one status, exactly one wins.
   */
  async move(userId: number, orderId: number, from: OrderStatus, to: TargetStatus, at: Date): Promise<boolean> {
    if (!canTransition(from, to)) throw new Error(`order ${orderId}: no transition ${from} -> ${to}`);
    const unexpired = needsUnexpired(from, to);
    const { affected } = await this.sql.run(
      `UPDATE orders SET status = ?, ${STAMP_COLUMN(to)} = ? WHERE id = ? AND user_id = ? AND status = ?${unexpired ? ' AND expires_at > ?' : ''}`,
      [to, at, orderId, userId, from, ...(unexpired ? [at] : [])],
    );
    return affected > 0;
  }

  /** Applies the expiry move to every order past its expiry at `now`; returns how many. */
  async expireAll(now: Date): Promise<number> {
    const { affected } = await this.sql.run(
      `UPDATE orders SET status = ?, ${STAMP_COLUMN(EXPIRY.to)} = ? WHERE status = ? AND expires_at <= ?`,
      [EXPIRY.to, now, EXPIRY.from, now],
    );
    return affected;
  }
}

const COLUMN_OF_STAMP: Record<(typeof STAMPED_ON_ENTRY)[TargetStatus], string> = { paidAt: 'paid_at', cancelledAt: 'cancelled_at' };
const STAMP_COLUMN = (to: TargetStatus): string => COLUMN_OF_STAMP[STAMPED_ON_ENTRY[to]];

const SELECT_WITH_ITEMS = `SELECT o.id, o.user_id, o.status, o.total_amount, o.discount_amount, o.final_amount, o.user_coupon_id,
       o.created_at, o.expires_at, o.paid_at, o.cancelled_at,
       i.product_id, i.name, i.quantity, i.unit_price, i.line_total`;
const JOIN_ITEMS = 'LEFT JOIN order_items i ON i.order_id = o.id';

/** A row of `orders` joined with one of its `order_items` (mysql2 may return BIGINT and DECIMAL as strings). */
interface OrderRow {
  id: number | string;
  user_id: number | string;
  status: OrderStatus;
  total_amount: number | string;
  discount_amount: number | string;
  final_amount: number | string;
  user_coupon_id: number | string | null;
  created_at: Date | string;
  expires_at: Date | string;
  paid_at: Date | string | null;
  cancelled_at: Date | string | null;
  product_id: number | string | null;
  name: string | null;
  quantity: number | string | null;
  unit_price: number | string | null;
  line_total: number | string | null;
}

/** The one row mapper of orders: joined rows, grouped by order in the order they came. */
function ordersFromRows(rows: OrderRow[]): OrderRecord[] {
  const byId = new Map<number, OrderRecord>();
  for (const row of rows) {
    const id = Number(row.id);
    let order = byId.get(id);
    if (!order) {
      order = {
        id,
        userId: Number(row.user_id),
        status: row.status,
        totalAmount: Number(row.total_amount),
        discountAmount: Number(row.discount_amount),
        finalAmount: Number(row.final_amount),
        userCouponId: row.user_coupon_id === null ? null : Number(row.user_coupon_id),
        createdAt: dateOf(row.created_at),
        expiresAt: dateOf(row.expires_at),
        paidAt: row.paid_at === null ? null : dateOf(row.paid_at),
        cancelledAt: row.cancelled_at === null ? null : dateOf(row.cancelled_at),
        items: [],
      };
      byId.set(id, order);
    }
    if (row.product_id !== null) {
      order.items.push({
        productId: Number(row.product_id),
        name: row.name!,
        quantity: Number(row.quantity),
        unitPrice: Number(row.unit_price),
        lineTotal: Number(row.line_total),
      });
    }
  }
  return [...byId.values()];
}
