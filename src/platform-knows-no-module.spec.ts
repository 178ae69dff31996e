import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getMetadataArgsStorage } from 'typeorm';
import * as ts from 'typescript';
import { type ConfigSlice } from './platform/config/config-slice';
import { type SchemaPart } from './platform/database/schema-part';

/**
 * platform/ holds mechanisms and knows no business module. dependency-cruiser keeps it from
 * importing one (`platform-not-to-modules`, directly or through the composition root), but it sees
 * imports only, not the names a file writes: a module's error code, config variable, settings or
 * table written into platform code would couple the two as surely. This reads what every module
 * declares (its `-errors.ts`, `-config.ts`, `-schema.ts`) and fails when platform code names any
 * of it: a code or variable anywhere, a table in SQL, settings read off the config (comments aside:
 * an example there couples nothing, and an example URL in a schema is no table).
 */
const SRC = __dirname;
const PLATFORM = join(SRC, 'platform');
const MODULES = join(SRC, 'modules');

// The one exception, with its reason.
const EXEMPT: Record<string, string> = {
  'platform/database/migrations/1732500000000-commerce-core.ts':
    "created several modules' first tables before each module owned its migrations; deployed databases ran it, so it stays as it is",
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** The exports of every module file whose name ends with `suffix`. */
function declared<T>(suffix: string): T[] {
  return files(MODULES)
    .filter((file) => file.endsWith(suffix))
    .flatMap((file) => Object.values(require(file) as Record<string, T>)); // eslint-disable-line @typescript-eslint/no-require-imports
}

function moduleNames() {
  const slices = declared<ConfigSlice>('-config.ts');
  const tableOf = (entity: unknown) => getMetadataArgsStorage().tables.find((table) => table.target === entity)?.name;
  return {
    codes: declared<object>('-errors.ts').flatMap((slice) => Object.keys(slice)),
    variables: slices.flatMap((slice) => Object.keys(slice.variables)),
    settings: slices.map((slice) => slice.key),
    tables: declared<SchemaPart>('-schema.ts').flatMap((part) => part.entities.map(tableOf).filter((name) => name !== undefined)),
  };
}

/** What the code of a file writes (comments are no part of it): its identifiers, strings, and `a.b.c` reads. */
function written(text: string) {
  const identifiers: string[] = [];
  const strings: string[] = [];
  const reads: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) identifiers.push(node.text);
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) strings.push(node.text);
    // `config.coupon.lockWaitMs`: a property read off another property.
    if (ts.isPropertyAccessExpression(node) && ts.isPropertyAccessExpression(node.expression)) reads.push(node.expression.name.text);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('file.ts', text, ts.ScriptTarget.Latest, true));
  return { identifiers, strings, reads };
}

const SQL = /\b(SELECT|INSERT|UPDATE|DELETE|FROM|JOIN|INTO|TABLE)\b/;

/** What of a module `text` names: codes and variables anywhere in its code, tables in its SQL, settings read off a config. */
function moduleKnowledge(text: string, names: ReturnType<typeof moduleNames>): string[] {
  const code = written(text);
  const word = (name: string) => new RegExp(`\\b${name}\\b`);
  const inCode = (name: string) => [...code.identifiers, ...code.strings].some((token) => word(name).test(token));
  const inSql = (name: string) => code.strings.some((token) => SQL.test(token) && word(name).test(token));
  return [
    ...names.codes.filter(inCode).map((name) => `problem code ${name}`),
    ...names.variables.filter(inCode).map((name) => `config variable ${name}`),
    ...names.settings.filter((key) => code.reads.includes(key)).map((key) => `settings config.${key}`),
    ...names.tables.filter(inSql).map((name) => `table ${name}`),
  ];
}

describe('platform/ knows no business module', () => {
  const names = moduleNames();

  it('reads what the modules declare', () => {
    expect(names.codes).toContain('ORDER_NOT_FOUND');
    expect(names.variables).toContain('COUPON_LOCK_WAIT_MS');
    expect(names.settings).toContain('productCache');
    expect(names.tables).toContain('coupon_issue_requests');
  });

  it("names no module's error code, config variable, settings or table in its code", () => {
    const found = files(PLATFORM)
      .map((file) => relative(SRC, file))
      .filter((file) => !Object.hasOwn(EXEMPT, file))
      .flatMap((file) => moduleKnowledge(readFileSync(join(SRC, file), 'utf8'), names).map((what) => `${file}: ${what}`));
    expect(found).toEqual([]);
  });

  it('would catch each kind, and leaves comments alone', () => {
    const seen = (text: string) => moduleKnowledge(text, names);
    expect(seen("throw new DomainError('COUPON_SOLD_OUT');")).toEqual(['problem code COUPON_SOLD_OUT']);
    expect(seen('COUPON_LOCK_WAIT_MS: Joi.number().default(2000),')).toEqual(['config variable COUPON_LOCK_WAIT_MS']);
    expect(seen('const wait = this.config.coupon.lockWaitMs;')).toEqual(['settings config.coupon']);
    expect(seen('await this.sql.run(`UPDATE orders SET status = ? WHERE id = ${id}`);')).toEqual(['table orders']);
    expect(seen("// e.g. 503 COUPON_BUSY while the coupon's orders wait\nconst order = { id: 1, example: '/orders/42' };")).toEqual([]);
  });
});
