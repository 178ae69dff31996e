import { getMetadataArgsStorage } from 'typeorm';
import { dateOf, placeholders } from './sql';

type EntityClass<E> = new () => E;
type Convert = (value: unknown) => unknown;

interface ColumnMapping {
  property: string;
  name: string;
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
        convert: converterOf(column.options.type),
        generated: generated.has(column.propertyName),
      }));
    if (this.mappings.length === 0) throw new Error(`${entity.name} declares no columns`);
    this.byProperty = new Map(this.mappings.map((mapping) => [mapping.property, mapping]));
    this.columns = this.mappings.map((mapping) => mapping.name).join(', ');
  }

  /** A row of {@link columns} as the entity. */
  read(row: Record<string, unknown>): E {
    return readInto(new this.entity(), this.mappings, row, '');
  }

  /** The column of a property, for a statement's WHERE or SET. */
  column(property: keyof E & string): string {
    const mapping = this.byProperty.get(property);
    if (!mapping) throw new Error(`${this.entity.name}.${property} is not a column`);
    return mapping.name;
  }

  /** Every column through a join's alias (`o.id AS o_id`), so that two tables' columns never collide. */
  as(alias: string): RowReader<E> {
    const prefix = `${alias}_`;
    return {
      columns: this.mappings.map((mapping) => `${alias}.${mapping.name} AS ${prefix}${mapping.name}`).join(', '),
      read: (row) => readInto(new this.entity(), this.mappings, row, prefix),
    };
  }

  /** Only these columns, read into plain objects of just those properties. */
  pick<K extends keyof E & string>(...properties: K[]): RowReader<Pick<E, K>> {
    const mappings = properties.map((property) => this.byProperty.get(property)!);
    return {
      columns: mappings.map((mapping) => mapping.name).join(', '),
      read: (row) => readInto({} as Pick<E, K>, mappings, row, ''),
    };
  }

  /** One INSERT of these rows: every column but a generated key, each row's missing values as NULL. */
  insert(rows: readonly Partial<E>[]): { statement: string; params: unknown[] } {
    const written = this.mappings.filter((mapping) => !mapping.generated);
    const row = `(${placeholders(written.length)})`;
    return {
      statement: `INSERT INTO ${this.name} (${written.map((mapping) => mapping.name).join(', ')}) VALUES ${rows.map(() => row).join(', ')}`,
      params: rows.flatMap((values) => written.map((mapping) => (values as Record<string, unknown>)[mapping.property] ?? null)),
    };
  }
}

function readInto<T extends object>(target: T, mappings: readonly ColumnMapping[], row: Record<string, unknown>, prefix: string): T {
  const fields = target as Record<string, unknown>;
  for (const mapping of mappings) {
    const value = row[prefix + mapping.name];
    fields[mapping.property] = value === null || value === undefined ? null : mapping.convert(value);
  }
  return target;
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
