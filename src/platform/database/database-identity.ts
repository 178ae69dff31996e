import { type DataSource, Entity, PrimaryColumn } from 'typeorm';

/** The one row of `database_identity` (migration DatabaseIdentity1732800000000). */
@Entity('database_identity')
export class DatabaseIdentityRow {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;
}

/** This database's random id, read once at start-up. */
export class DatabaseIdentity {
  constructor(readonly id: string) {}

  static async load(dataSource: DataSource): Promise<DatabaseIdentity> {
    const rows = await dataSource.getRepository(DatabaseIdentityRow).find();
    if (rows.length !== 1) throw new Error(`database_identity must hold one row, it holds ${rows.length}`);
    return new DatabaseIdentity(rows[0].id);
  }
}
