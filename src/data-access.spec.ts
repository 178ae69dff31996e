import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * One way to the database: only repositories (`*.repository.ts`) hold statements, run through
 * `Sql` and mapped through their entity's `Table`; besides them only the tables' declarations
 * (entities, migrations) and the mechanism itself (platform/database/) name the database.
 * `npm run check:boundaries` forbids the imports (Sql, Table, TypeORM, the transaction host);
 * this catches SQL text, a query builder or a TypeORM repository reached some other way.
 */
const SRC = __dirname;
const SCANNED = ['modules', 'platform'];
const EXEMPT = /\.(repository|entity|spec)\.ts$|\/entities\/|\/migrations\/|^platform\/database\//;
const FORBIDDEN = [
  /\b(SELECT\s+[\w*.,\s]+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/,
  /createQueryBuilder|getRepository|InjectRepository|InjectEntityManager|txHost|\.query\(/,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

const touchesTheDatabase = (text: string) => FORBIDDEN.some((pattern) => pattern.test(text));

describe('data access', () => {
  it('keeps SQL, query builders and TypeORM repositories out of every file but the repositories', () => {
    const offenders = SCANNED.flatMap((dir) => sourceFiles(join(SRC, dir)))
      .map((file) => relative(SRC, file))
      .filter((file) => !EXEMPT.test(file))
      .filter((file) => touchesTheDatabase(readFileSync(join(SRC, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('recognises a statement, a query builder and an injected repository when it sees one', () => {
    expect(touchesTheDatabase("await this.sql.run('UPDATE orders SET status = ? WHERE id = ?')")).toBe(true);
    expect(touchesTheDatabase('`SELECT id, name FROM products WHERE id = ?`')).toBe(true);
    expect(touchesTheDatabase('this.txHost.tx.getRepository(Order).find()')).toBe(true);
    expect(touchesTheDatabase('constructor(@InjectRepository(User) private readonly users: Repository<User>) {}')).toBe(true);
    expect(touchesTheDatabase('// Select the products from the order, then update stock')).toBe(false);
  });

  it('exempts only repositories, table declarations and the database mechanism', () => {
    expect(
      ['modules/user/user.repository.ts', 'platform/outbox/outbox-event.entity.ts', 'platform/database/sql.ts'].every((f) =>
        EXEMPT.test(f),
      ),
    ).toBe(true);
    expect(['modules/user/user.service.ts', 'platform/idempotency/idempotency.service.ts'].some((f) => EXEMPT.test(f))).toBe(false);
  });
});
