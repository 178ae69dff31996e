import type { DataSource } from 'typeorm';

/** This database's random id (migration DatabaseIdentity1732800000000), read once at start-up. */
export class DatabaseIdentity {
  constructor(readonly id: string) {}

  static async load(dataSource: DataSource): Promise<DatabaseIdentity> {
    const rows = await dataSource.query<Array<{ id: string }>>('SELECT id FROM database_identity');
    if (rows.length !== 1) throw new Error(`database_identity must hold one row, it holds ${rows.length}`);
    return new DatabaseIdentity(rows[0].id);
  }
}
