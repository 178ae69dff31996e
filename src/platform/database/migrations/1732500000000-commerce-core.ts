import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { createdAtColumn, idColumn, timestampColumn } from './columns';

/** Products, points, coupons, orders, the outbox and idempotency keys. */
export class CommerceCore1732500000000 implements MigrationInterface {
  name = 'CommerceCore1732500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const money = (name: string, isNullable = false) => ({ name, type: 'bigint', isNullable });
    const int = (name: string, isNullable = false) => ({ name, type: 'integer', isNullable });
    const text = (name: string, length: number, isNullable = false) => ({ name, type: 'varchar', length: String(length), isNullable });

    await queryRunner.createTable(
      new Table({
        name: 'products',
        columns: [
          idColumn(),
          text('name', 200),
          money('price'),
          int('stock'),
          text('category', 50),
          text('status', 16),
          createdAtColumn(),
          timestampColumn('updated_at'),
        ],
        indices: [{ name: 'ix_products_category_id', columnNames: ['category', 'id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'point_balances',
        columns: [{ ...int('user_id'), isPrimary: true }, money('balance'), timestampColumn('updated_at')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'point_history',
        columns: [
          idColumn(),
          int('user_id'),
          text('type', 16),
          money('amount'),
          money('balance_after'),
          int('order_id', true),
          createdAtColumn(),
        ],
        indices: [{ name: 'ix_point_history_user_id', columnNames: ['user_id', 'id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'coupons',
        columns: [
          idColumn(),
          text('name', 200),
          text('discount_type', 16),
          money('discount_value'),
          int('total_quantity'),
          int('issued_quantity'),
          money('min_order_amount'),
          money('max_discount_amount', true),
          int('valid_days'),
          timestampColumn('issue_starts_at', true),
          timestampColumn('issue_ends_at', true),
          createdAtColumn(),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'user_coupons',
        columns: [
          idColumn(),
          int('coupon_id'),
          int('user_id'),
          text('status', 16),
          timestampColumn('issued_at'),
          timestampColumn('expires_at'),
          timestampColumn('used_at', true),
          int('order_id', true),
        ],
        // At most one copy of a coupon per user, ever: the fence every issuing strategy relies on.
        uniques: [{ name: 'uq_user_coupons_coupon_user', columnNames: ['coupon_id', 'user_id'] }],
        indices: [{ name: 'ix_user_coupons_user_id', columnNames: ['user_id', 'id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'orders',
        columns: [
          idColumn(),
          int('user_id'),
          text('status', 16),
          money('total_amount'),
          money('discount_amount'),
          money('final_amount'),
          int('user_coupon_id', true),
          createdAtColumn(),
          timestampColumn('expires_at'),
          timestampColumn('paid_at', true),
          timestampColumn('cancelled_at', true),
        ],
        indices: [
          { name: 'ix_orders_user_id', columnNames: ['user_id', 'id'] },
          { name: 'ix_orders_status_expires', columnNames: ['status', 'expires_at'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'order_items',
        columns: [
          idColumn(),
          int('order_id'),
          int('product_id'),
          text('name', 200),
          int('quantity'),
          money('unit_price'),
          money('line_total'),
        ],
        indices: [{ name: 'ix_order_items_order_id', columnNames: ['order_id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'outbox_events',
        columns: [
          idColumn(),
          { ...text('event_id', 36), isUnique: true },
          text('event_type', 100),
          text('topic', 200),
          text('message_key', 200),
          { name: 'payload', type: 'text' },
          { name: 'headers', type: 'text' },
          text('status', 16),
          int('attempts'),
          { name: 'last_error', type: 'text', isNullable: true },
          timestampColumn('occurred_at'),
          timestampColumn('sent_at', true),
        ],
        indices: [{ name: 'ix_outbox_events_status_id', columnNames: ['status', 'id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'idempotency_keys',
        columns: [
          { ...int('user_id'), isPrimary: true },
          { ...text('idempotency_key', 255), isPrimary: true },
          text('request_hash', 64),
          text('state', 16),
          int('response_status', true),
          { name: 'response_body', type: 'text', isNullable: true },
          createdAtColumn(),
          timestampColumn('expires_at'),
        ],
      }),
    );
    await queryRunner.createIndex('idempotency_keys', new TableIndex({ name: 'ix_idempotency_expires', columnNames: ['expires_at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'idempotency_keys',
      'outbox_events',
      'order_items',
      'orders',
      'user_coupons',
      'coupons',
      'point_history',
      'point_balances',
      'products',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
