import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { Coupon, CouponIssueRequest, UserCoupon } from './modules/coupon/entities/coupon.entities';
import { Order, OrderItem } from './modules/order/entities/order.entities';
import { PointBalance, PointHistory } from './modules/point/entities/point.entities';
import { Product } from './modules/product/entities/product.entity';
import { User } from './modules/user/entities/user.entity';
import { loadDatabaseConfig } from './platform/config/app-config';
import { dataSourceOptions } from './platform/database/database.module';
import { IdempotencyKey } from './platform/idempotency/idempotency-key.entity';
import { OutboxEvent } from './platform/outbox/outbox-event.entity';

/**
 * Every entity the modules register with `TypeOrmModule.forFeature`. The app finds them through
 * Nest (autoLoadEntities); the migration commands run without Nest, so they are listed here
 * (test/integration/migrations.test.ts checks that both see the same tables).
 */
export const MODULE_ENTITIES = [
  User,
  Product,
  PointBalance,
  PointHistory,
  Order,
  OrderItem,
  Coupon,
  UserCoupon,
  CouponIssueRequest,
  OutboxEvent,
  IdempotencyKey,
];

/**
 * A data source for the database the app would open with this environment (APP_PROFILE, DB_* or
 * SQLITE_PATH): the app's options, entities and migrations. Not initialized.
 */
export function createDataSource(env: NodeJS.ProcessEnv = process.env): DataSource {
  return new DataSource(dataSourceOptions(loadDatabaseConfig(env), MODULE_ENTITIES));
}

/**
 * {@link createDataSource} for the TypeORM CLI (src/data-source.ts), which compares entities with
 * the live schema: on a MariaDB server its type is `mariadb`, as TypeORM reads MariaDB's
 * information_schema right only then (with `mysql` it takes every nullable column for one with a
 * default, the text NULL). The app itself keeps `mysql` on both servers.
 */
export async function createCliDataSource(env: NodeJS.ProcessEnv = process.env): Promise<DataSource> {
  const dataSource = createDataSource(env);
  const options = dataSource.options;
  if (options.type !== 'mysql') return dataSource;
  const probe = await createConnection({
    host: options.host,
    port: options.port,
    user: options.username,
    password: options.password,
    connectTimeout: options.connectTimeout,
  });
  try {
    const [rows] = await probe.query<Array<RowDataPacket & { version: string }>>('SELECT VERSION() AS version');
    return /mariadb/i.test(rows[0].version) ? new DataSource({ ...options, type: 'mariadb' }) : dataSource;
  } finally {
    await probe.end();
  }
}
