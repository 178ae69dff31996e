import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from './platform/errors/domain-error';
import { type ProblemCode, problemCodes, problemDefinition } from './platform/errors/problem-catalog';

const ROOT = join(__dirname, '..');
const MODULES = join(__dirname, 'modules');
// What a user reads about the API today; CHANGELOG.md keeps history (old statuses) on purpose.
const FILES = [
  'README.md',
  '.env.example',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

const CATALOGUE: Record<string, number> = Object.fromEntries(problemCodes().map((code) => [code, problemDefinition(code).status]));

function isCode(word: string): word is ProblemCode {
  return Object.hasOwn(CATALOGUE, word);
}

/** Every "<status> `CODE` `CODE`" (backticks optional) in the prose and tables of `text`. */
function statusMentions(text: string): Array<{ status: number; code: ProblemCode; text: string }> {
  return [...text.matchAll(/\b([1-5]\d\d)((?:[ \t]+`?[A-Z][A-Z0-9_]+`?)+)/g)].flatMap((match) =>
    (match[2].match(/[A-Z][A-Z0-9_]+/g) ?? ([] as string[]))
      .filter(isCode)
      .map((code) => ({ status: Number(match[1]), code, text: match[0].trim() })),
  );
}

describe('status codes named in the docs', () => {
  it('reads "<status> CODE" mentions, several codes after one status included', () => {
    expect(statusMentions('on 409 `IDEMPOTENCY_IN_PROGRESS` and 503 COUPON_BUSY; 409 `COUPON_SOLD_OUT` `COUPON_ALREADY_ISSUED`')).toEqual([
      { status: 409, code: 'IDEMPOTENCY_IN_PROGRESS', text: '409 `IDEMPOTENCY_IN_PROGRESS`' },
      { status: 503, code: 'COUPON_BUSY', text: '503 COUPON_BUSY' },
      { status: 409, code: 'COUPON_SOLD_OUT', text: '409 `COUPON_SOLD_OUT` `COUPON_ALREADY_ISSUED`' },
      { status: 409, code: 'COUPON_ALREADY_ISSUED', text: '409 `COUPON_SOLD_OUT` `COUPON_ALREADY_ISSUED`' },
    ]);
  });

  it('agree with the problem catalogue in the README, .env.example and docs/', () => {
    const wrong = FILES.flatMap((file) =>
      statusMentions(readFileSync(join(ROOT, file), 'utf8'))
        .filter(({ status, code }) => CATALOGUE[code] !== status)
        .map(({ code, text }) => `${file}: "${text}" but the catalogue answers ${code} with ${CATALOGUE[code]}`),
    );
    expect(wrong).toEqual([]);
  });

  it('docs/errors.md lists every code of the catalogue with its status', () => {
    const table = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
    // A row may name several codes of one status: | `A` `B` | 409 | ... |
    const rows = Object.fromEntries(
      [...table.matchAll(/^\| ((?:`[A-Z_]+` ?)+)\| (\d{3}) \|/gm)].flatMap((row) =>
        (row[1].match(/[A-Z_]+/g) ?? []).map((code) => [code, Number(row[2])]),
      ),
    );
    expect(rows).toEqual(CATALOGUE);
  });
});

describe('the problem catalogue of the app', () => {
  it("holds every module's codes once the app's modules are loaded, also codes nothing throws yet", () => {
    const declared = readdirSync(MODULES, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap(
        ({ name: module }) =>
          readdirSync(join(MODULES, module))
            .filter((file) => file.endsWith('-errors.ts'))
            .flatMap((file) => Object.values(require(join(MODULES, module, file)) as Record<string, object>)), // eslint-disable-line @typescript-eslint/no-require-imports
      )
      .flatMap((slice) => Object.keys(slice));
    expect(declared.length).toBeGreaterThan(0);
    // A registry of its own, as in a fresh process: only what app.module loads (unit specs load every -errors.ts).
    let loaded: string[] = [];
    jest.isolateModules(() => {
      require('./app.module'); // eslint-disable-line @typescript-eslint/no-require-imports
      const catalogue = require('./platform/errors/problem-catalog') as { problemCodes: typeof problemCodes }; // eslint-disable-line @typescript-eslint/no-require-imports
      loaded = catalogue.problemCodes();
    });
    expect(declared.filter((code) => !loaded.includes(code))).toEqual([]);
  });

  it("answers a module's code with the module's status", () => {
    expect(new DomainError('ORDER_NOT_FOUND').status).toBe(404);
    expect(new DomainError('COUPON_BUSY', 'busy').status).toBe(503);
  });
});
