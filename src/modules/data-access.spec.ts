import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Only repositories (`*.repository.ts`) hold statements, and a module's migrations, which create
 * its tables. `npm run check:boundaries` forbids the imports (Sql, TypeORM, the transaction host);
 * this catches SQL text or a query builder reached some other way.
 */
const MODULES = __dirname;
const FORBIDDEN = [
  /\b(SELECT\s+[\w*.,\s]+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/,
  /createQueryBuilder|getRepository|txHost|\.query\(/,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('data access', () => {
  it('keeps SQL and query builders out of every module file but its repositories', () => {
    const offenders = sourceFiles(MODULES)
      .map((file) => relative(MODULES, file))
      .filter((file) => !/\.(repository|spec)\.ts$/.test(file) && !file.includes('/entities/') && !file.includes('/migrations/'))
      .filter((file) => FORBIDDEN.some((pattern) => pattern.test(readFileSync(join(MODULES, file), 'utf8'))));
    expect(offenders).toEqual([]);
  });

  it('recognises a statement and a query builder when it sees one', () => {
    const caught = (text: string) => FORBIDDEN.some((pattern) => pattern.test(text));
    expect(caught("await this.sql.run('UPDATE orders SET status = ? WHERE id = ?')")).toBe(true);
    expect(caught('`SELECT id, name FROM products WHERE id = ?`')).toBe(true);
    expect(caught('this.txHost.tx.getRepository(Order).find()')).toBe(true);
    expect(caught('// Select the products from the order, then update stock')).toBe(false);
  });
});
