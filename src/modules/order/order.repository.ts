import { Injectable } from '@nestjs/common';
import { Sql } from '../../platform/database/sql';
import { Table } from '../../platform/database/table';
import { Order, OrderItem, type OrderStatus } from './entities/order.entities';
import { canTransition, EXPIRY, needsUnexpired, STAMPED_ON_ENTRY, TargetStatus } from './order-transitions';

/** An order with its lines, as stored. */
export type OrderWithItems = Order & { items: OrderItem[] };
/** A line as an order is created with it; the database numbers it. */
export type NewOrderItem = Omit<OrderItem, 'id' | 'orderId'>;
export type NewOrder = Omit<Order, 'id'> & { items: NewOrderItem[] };

const ORDERS = new Table(Order);
const ITEMS = new Table(OrderItem);
const ORDER_IN_JOIN = ORDERS.as('o');
const ITEM_IN_JOIN = ITEMS.as('i');

/**
 * All SQL of `orders` and `order_items`. Create, pay and cancel run on every checkout, so every
 * statement here is plain SQL through `Sql`; rows become entities through the tables' mappings
 * ({@link ordersFromRows}).
 */
@Injectable()
export class OrderRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts the order and its lines (two statements: run it inside a transaction); returns the id. */
  async insert(order: NewOrder): Promise<number> {
    const header = ORDERS.insert([order]);
    const { insertId } = await this.sql.run(header.statement, header.params);
    const lines = ITEMS.insert(order.items.map((item) => ({ ...item, orderId: insertId })));
    await this.sql.run(lines.statement, lines.params);
    return insertId!;
  }

  /** The user's order with its lines, in one joined statement; undefined for a missing order or another user's. */
  async findOfUser(userId: number, orderId: number): Promise<OrderWithItems | undefined> {
    const { rows } = await this.sql.run(`${SELECT_WITH_ITEMS} FROM orders o ${JOIN_ITEMS} WHERE o.id = ? AND o.user_id = ? ORDER BY i.id`, [
      orderId,
      userId,
    ]);
    return ordersFromRows(rows)[0];
  }

  /** Up to `limit` of the user's orders with their lines, newest first, with ids below `beforeId` when given. */
  async listOfUser(userId: number, limit: number, beforeId?: number): Promise<OrderWithItems[]> {
    const { rows } = await this.sql.run(
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

const STAMP_COLUMN = (to: TargetStatus): string => ORDERS.column(STAMPED_ON_ENTRY[to]);

const SELECT_WITH_ITEMS = `SELECT ${ORDER_IN_JOIN.columns}, ${ITEM_IN_JOIN.columns}`;
const JOIN_ITEMS = 'LEFT JOIN order_items i ON i.order_id = o.id';

/** Joined rows of orders and their lines, grouped by order in the order they came. */
function ordersFromRows(rows: Array<Record<string, unknown>>): OrderWithItems[] {
  const byId = new Map<number, OrderWithItems>();
  for (const row of rows) {
    let order = byId.get(Number(row.o_id));
    if (!order) {
      order = Object.assign(ORDER_IN_JOIN.read(row), { items: [] as OrderItem[] });
      byId.set(order.id, order);
    }
    if (row.i_id !== null) order.items.push(ITEM_IN_JOIN.read(row));
  }
  return [...byId.values()];
}
