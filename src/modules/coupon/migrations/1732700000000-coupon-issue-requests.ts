import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { timestampColumn } from '../../../platform/database/migrations/columns';

/** Queue-strategy issue requests and their outcomes (idempotent by request id). */
export class CouponIssueRequests1732700000000 implements MigrationInterface {
  name = 'CouponIssueRequests1732700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'coupon_issue_requests',
        columns: [
          { name: 'request_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'coupon_id', type: 'integer' },
          { name: 'user_id', type: 'integer' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'reason', type: 'varchar', length: '50', isNullable: true },
          { name: 'user_coupon_id', type: 'integer', isNullable: true },
          timestampColumn('requested_at'),
          timestampColumn('decided_at', true),
        ],
        indices: [{ name: 'ix_coupon_issue_requests_user', columnNames: ['user_id', 'requested_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('coupon_issue_requests');
  }
}
