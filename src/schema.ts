import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { COUPON_SCHEMA } from './modules/coupon/coupon-schema';
import { ORDER_SCHEMA } from './modules/order/order-schema';
import { POINT_SCHEMA } from './modules/point/point-schema';
import { PRODUCT_SCHEMA } from './modules/product/product-schema';
import { USER_SCHEMA } from './modules/user/user-schema';
import { loadDatabaseConfig } from './platform/config/app-config';
import { dataSourceOptions } from './platform/database/database.module';
import { PLATFORM_SCHEMA } from './platform/database/platform-schema';
import { composeSchema } from './platform/database/schema-part';

/**
 * Every owner's tables: the platform's and each business module's (docs/architecture.md, "Tables
 * and their owners"). The app registers the entities through each module's `forFeature`
 * (autoLoadEntities) and runs these migrations; the migration commands run without Nest and take
 * both from here (test/integration/migrations.test.ts checks that both see the same tables).
 */
export const APP_SCHEMA = composeSchema([PLATFORM_SCHEMA, USER_SCHEMA, PRODUCT_SCHEMA, POINT_SCHEMA, ORDER_SCHEMA, COUPON_SCHEMA]);

/** Every migration, oldest first. */
export const MIGRATIONS = APP_SCHEMA.migrations;

/**
 * A data source for the database the app would open with this environment (APP_PROFILE, DB_* or
 * SQLITE_PATH): the app's options, entities and migrations. Not initialized.
 */
export function createDataSource(env: NodeJS.ProcessEnv = process.env): DataSource {
  return new DataSource(dataSourceOptions(loadDatabaseConfig(env), APP_SCHEMA));
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
