import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/** The relay's claim checks "no earlier PENDING row with this key": index that lookup. */
export class OutboxKeyIndex1732600000000 implements MigrationInterface {
  name = 'OutboxKeyIndex1732600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'outbox_events',
      new TableIndex({ name: 'ix_outbox_events_key_status_id', columnNames: ['message_key', 'status', 'id'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('outbox_events', 'ix_outbox_events_key_status_id');
  }
}
