import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODULE_CONFIG } from './config';
import { configSchema } from './platform/config/app-config';

const ROOT = join(__dirname, '..');

type Rule = { flags?: { default?: string | number | boolean }; whens?: Array<{ then?: Rule; otherwise?: Rule }> };
type Described = { keys: Record<string, Rule> };

/** A variable's default in the code: its own, or the one every branch of a `when` shares (else none). */
function codeDefault(rule: Rule): string {
  const branches = rule.whens?.flatMap(({ then, otherwise }) => [then, otherwise].map((branch) => branch && codeDefault(branch)));
  const shared = branches && new Set(branches).size === 1 ? branches[0] : undefined;
  const value = rule.flags?.default ?? shared;
  return value === undefined ? '' : String(value);
}

describe('configuration docs', () => {
  // The platform's variables and every module's slice: the schema start-up validates.
  const keys = (configSchema(MODULE_CONFIG).describe() as Described).keys;
  const variables = Object.keys(keys);
  const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const errors = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');

  it('lists every variable the app reads in .env.example and the README table', () => {
    expect(variables.filter((name) => !new RegExp(`^${name}=`, 'm').test(example))).toEqual([]);
    expect(variables.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it('gives each variable in .env.example its default from the code, empty where it has none or it depends on the profile', () => {
    const documented = Object.fromEntries(variables.map((name) => [name, new RegExp(`^${name}=(.*)$`, 'm').exec(example)?.[1]]));
    expect(documented).toEqual(Object.fromEntries(variables.map((name) => [name, codeDefault(keys[name])])));
  });

  // Every time budget and Retry-After value: one default in the code, .env.example, the README table
  // and docs/errors.md (where the 503s they lead to are explained).
  const documentedDefaults = variables.filter((name) => name.endsWith('_TIMEOUT_MS') || name.startsWith('RETRY_AFTER_'));

  it.each(documentedDefaults)('%s has one default in the code, .env.example, the README and docs/errors.md', (name) => {
    const defaultValue = String(keys[name].flags?.default);
    expect(defaultValue).toMatch(/^\d+$/);
    const documented = {
      envExample: new RegExp(`^${name}=(.*)$`, 'm').exec(example)?.[1],
      readme: readmeDefault(readme, name),
      errorsMd: new RegExp(`\`${name}\` \\((?:default )?(\\d+)\\)`).exec(errors)?.[1],
    };
    expect(documented).toEqual({ envExample: defaultValue, readme: defaultValue, errorsMd: defaultValue });
  });
});

/** The default of `name` in the README's configuration table: rows list names and defaults in the same order. */
function readmeDefault(readme: string, name: string): string | undefined {
  const row = readme.split('\n').find((line) => line.startsWith('|') && line.split('|')[1]?.includes(`\`${name}\``));
  if (!row) return undefined;
  const [names, defaults] = row.split('|').slice(1, 3);
  const ticked = (cell: string) => [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1]);
  return ticked(defaults)[ticked(names).indexOf(name)];
}
