import type { PoolConnection } from 'mysql2/promise';
import { OrderRepository } from '../../src/modules/order/order.repository';
import { PointRepository } from '../../src/modules/point/point.repository';
import { ProductRepository } from '../../src/modules/product/product.repository';
import { MysqlDialect } from '../../src/platform/database/sql-dialect';
import type { Sql, SqlResult } from '../../src/platform/database/sql';
import { OutboxRepository } from '../../src/platform/outbox/outbox.repository';

/**
 * The app's own repositories of the checkout (orders, products, points, outbox) on one bare mysql2
 * connection: the statements are the app's, taken from where it writes them, sent as text-protocol
 * queries as the app's driver sends them, with no TypeORM query runner or CLS transaction host
 * around them. Its `Sql` stand-in does what `Sql.run` does with a statement's result.
 */
export function bareRepositories(connection: PoolConnection) {
  const run = async <Row>(statement: string, params: unknown[] = []): Promise<SqlResult<Row>> => {
    const [result] = await connection.query(statement, params);
    if (Array.isArray(result)) return { rows: result as Row[], affected: 0 };
    const header = result as { affectedRows: number; insertId: number };
    return { rows: [], affected: header.affectedRows, insertId: header.insertId };
  };
  const sql = { run } as unknown as Sql;
  const dialect = new MysqlDialect();
  return {
    orders: new OrderRepository(sql),
    products: new ProductRepository(sql),
    points: new PointRepository(sql, dialect),
    outbox: new OutboxRepository(sql, dialect),
  };
}
