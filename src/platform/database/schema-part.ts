import { type MigrationInterface } from 'typeorm';

export type EntityClass = new () => object;
export type MigrationClass = new () => MigrationInterface;

/**
 * What one owner (a business module, or the platform) declares about the tables it owns: the
 * entities that map them and the migrations that create and change them. Only the owner's code
 * touches its tables; a new migration goes into the owner's `migrations/` folder and its list here
 * (`npm run migration:generate -- <owner> <name>` does both).
 */
export interface SchemaPart {
  entities: EntityClass[];
  migrations: MigrationClass[];
}

/** The app's schema from its owners' parts: every entity, and every migration oldest first (the order TypeORM runs them in). */
export function composeSchema(parts: readonly SchemaPart[]): SchemaPart {
  const migrations = parts.flatMap((part) => part.migrations);
  const names = migrations.map((migration) => migration.name);
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice) throw new Error(`migration ${twice} is listed twice`);
  const byAge = migrations.map((migration) => ({ migration, at: timestamp(migration) })).sort((a, b) => a.at - b.at);
  return { entities: parts.flatMap((part) => part.entities), migrations: byAge.map(({ migration }) => migration) };
}

/** TypeORM's rule: a migration's class name ends with its JavaScript timestamp. */
function timestamp(migration: MigrationClass): number {
  const digits = /\d{13}$/.exec(migration.name)?.[0];
  if (!digits) throw new Error(`migration ${migration.name}: its class name must end with a 13-digit timestamp`);
  return Number(digits);
}
