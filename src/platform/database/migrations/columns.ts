import { type TableColumnOptions } from 'typeorm';

// Migrations use TypeORM's Table API so one set of migrations builds both SQLite and MySQL.

export function idColumn(name = 'id'): TableColumnOptions {
  return { name, type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' };
}

/** Millisecond precision: events, cursors and TTLs compare these. Set by the application, in UTC. */
export function timestampColumn(name: string, isNullable = false): TableColumnOptions {
  return { name, type: 'datetime', precision: 3, isNullable };
}

export function createdAtColumn(): TableColumnOptions {
  return timestampColumn('created_at');
}
