import { getMetadataArgsStorage } from 'typeorm';
import { dateOf, placeholders } from './sql';

type EntityClass<E> = new () => E;

const MAX_CACHED_INSERTS = 64;
type Convert = (value: unknown) => unknown;

interface ColumnMapping {
  property: string;
  name: string;
  /** The row's key of the column: its name, or `alias_name` through a join. */
  key: string;
  convert: Convert;
  generated: boolean;
}

/** Reads rows of one select list into objects: `columns` goes into the SELECT, `read` maps each row. */
export interface RowReader<T> {
  /** The select list, in the entity's column order (`id, name, price` or `o.id AS o_id, ...`). */
  readonly columns: string;
  read(row: Record<string, unknown>): T;
}

/**
 * A table as its TypeORM entity declares it: the entity class is the one declaration of its columns
 * (the migrations check it against the schema, `npm run migration:check`), and the select lists,
 * row mappers and INSERTs that repositories run through `Sql` derive from it here. The mapping is
 * compiled once per table when its repository loads, so reading a row costs one conversion per
 * column, not a metadata lookup.
 */
export class Table<E extends object> implements RowReader<E> {
  readonly name: string;
  readonly columns: string;
  private readonly mappings: ColumnMapping[];
  private readonly byProperty: Map<string, ColumnMapping>;
  /** A row of {@link columns} as the entity. */
  readonly read: (row: Record<string, unknown>) => E;
  /** The columns an INSERT writes (all but a generated key), and one row's values for them. */
  private readonly written: string[];
  private readonly valuesOf: (row: Partial<E>) => unknown[];
  /** INSERT statements by number of rows. */
  private readonly inserts = new Map<number, string>();

  constructor(private readonly entity: EntityClass<E>) {
    const storage = getMetadataArgsStorage();
    const table = storage.tables.find((t) => t.target === entity);
    if (!table?.name) throw new Error(`${entity.name} is not an @Entity with a table name`);
    const generated = new Set(storage.generations.filter((g) => g.target === entity).map((g) => g.propertyName));
    this.name = table.name;
    this.mappings = storage.columns
      .filter((column) => column.target === entity && column.mode === 'regular')
      .map((column) => ({
        property: column.propertyName,
        name: column.options.name ?? column.propertyName,
        key: column.options.name ?? column.propertyName,
        convert: converterOf(column.options.type),
        generated: generated.has(column.propertyName),
      }));
    if (this.mappings.length === 0) throw new Error(`${entity.name} declares no columns`);
    this.byProperty = new Map(this.mappings.map((mapping) => [mapping.property, mapping]));
    this.columns = this.mappings.map((mapping) => mapping.name).join(', ');
    this.read = compileReader(() => new entity(), this.mappings);
    const written = this.mappings.filter((mapping) => !mapping.generated);
    this.written = written.map((mapping) => mapping.name);
    this.valuesOf = (row) => written.map((mapping) => (row as Record<string, unknown>)[mapping.property] ?? null);
  }

  /** The column of a property, for a statement's WHERE or SET. */
  column(property: keyof E & string): string {
    const mapping = this.byProperty.get(property);
    if (!mapping) throw new Error(`${this.entity.name}.${property} is not a column`);
    return mapping.name;
  }

  /** Every column through a join's alias (`o.id AS o_id`), so that two tables' columns never collide. */
  as(alias: string): RowReader<E> {
    const mappings = this.mappings.map((mapping) => ({ ...mapping, key: `${alias}_${mapping.name}` }));
    return {
      columns: mappings.map((mapping) => `${alias}.${mapping.name} AS ${mapping.key}`).join(', '),
      read: compileReader(() => new this.entity(), mappings),
    };
  }

  /** Only these columns, read into plain objects of just those properties. */
  pick<K extends keyof E & string>(...properties: K[]): RowReader<Pick<E, K>> {
    const mappings = properties.map((property) => this.byProperty.get(property)!);
    return {
      columns: mappings.map((mapping) => mapping.name).join(', '),
      read: compileReader(() => ({}) as Pick<E, K>, mappings),
    };
  }

  /** One INSERT of these rows: every column but a generated key, each row's missing values as NULL. */
  insert(rows: readonly Partial<E>[]): { statement: string; params: unknown[] } {
    let statement = this.inserts.get(rows.length);
    if (statement === undefined) {
      const tuple = `(${placeholders(this.written.length)})`;
      statement = `INSERT INTO ${this.name} (${this.written.join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}`;
      if (this.inserts.size < MAX_CACHED_INSERTS) this.inserts.set(rows.length, statement);
    }
    return { statement, params: rows.flatMap((values) => this.valuesOf(values)) };
  }
}

/**
 * The row mapper of these columns as one function with each property and row key written out, so
 * that V8 sees fixed property names (a loop over the mappings with computed keys cost several times as much).
 */
function compileReader<T>(create: () => T, mappings: readonly ColumnMapping[]): (row: Record<string, unknown>) => T {
  const assignments = mappings.map(
    (mapping, i) =>
      `v = row[${JSON.stringify(mapping.key)}]; t[${JSON.stringify(mapping.property)}] = v === null || v === undefined ? null : c[${i}](v);`,
  );
  type Reader = (row: Record<string, unknown>) => T;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- built once per table from its own metadata, never from input
  const build = new Function(
    'create',
    'c',
    `return function read(row) { const t = create(); let v; ${assignments.join(' ')} return t; };`,
  ) as (create: () => T, converters: Convert[]) => Reader;
  return build(
    create,
    mappings.map((mapping) => mapping.convert),
  );
}

const asIs: Convert = (value) => value;
// mysql2 may return BIGINT as a string; SQLite returns DATETIME as UTC text.
const asNumber: Convert = (value) => Number(value);
const asDate: Convert = (value) => dateOf(value);

function converterOf(type: unknown): Convert {
  if (type === Number || type === 'integer' || type === 'int' || type === 'bigint') return asNumber;
  if (type === 'datetime') return asDate;
  return asIs;
}
