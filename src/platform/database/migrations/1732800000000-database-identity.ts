import { randomUUID } from 'node:crypto';
import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * A random id for this database, made once when its schema is created. Caches outside the
 * database (Redis hints) key their entries by it, so a new or reset database never meets entries
 * written for another one.
 */
export class DatabaseIdentity1732800000000 implements MigrationInterface {
  name = 'DatabaseIdentity1732800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({ name: 'database_identity', columns: [{ name: 'id', type: 'varchar', length: '36', isPrimary: true }] }),
    );
    await queryRunner.query('INSERT INTO database_identity (id) VALUES (?)', [randomUUID()]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('database_identity');
  }
}
