import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema } from './app-config';

const ROOT = join(__dirname, '..', '..', '..');

type Described = { keys: Record<string, { flags?: { default?: unknown } }> };

describe('configuration docs', () => {
  const keys = (envSchema.describe() as Described).keys;
  const variables = Object.keys(keys);
  const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const errors = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');

  it('lists every variable the app reads in .env.example and the README table', () => {
    expect(variables.filter((name) => !new RegExp(`^${name}=`, 'm').test(example))).toEqual([]);
    expect(variables.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
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
