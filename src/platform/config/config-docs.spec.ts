import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema } from './app-config';

const ROOT = join(__dirname, '..', '..', '..');

describe('configuration docs', () => {
  const variables = Object.keys((envSchema.describe() as { keys: Record<string, unknown> }).keys);

  it('lists every variable the app reads in .env.example and the README table', () => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(variables.filter((name) => !new RegExp(`^${name}=`, 'm').test(example))).toEqual([]);
    expect(variables.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it('gives each Retry-After setting the same default in docs/errors.md (where the 503s are explained), the README and .env.example', () => {
    const [errors, readme, example] = [join('docs', 'errors.md'), 'README.md', '.env.example'].map((file) =>
      readFileSync(join(ROOT, file), 'utf8'),
    );
    const keys = (envSchema.describe() as { keys: Record<string, { flags?: { default?: unknown } }> }).keys;
    const retryAfter = variables.filter((name) => name.startsWith('RETRY_AFTER_'));
    expect(retryAfter.length).toBeGreaterThan(1);
    const disagreeing = retryAfter.filter((name) => {
      const value = String(keys[name].flags?.default);
      return (
        !errors.includes(`\`${name}\` (default ${value})`) ||
        !readme.includes(`| \`${name}\` | \`${value}\` |`) ||
        !new RegExp(`^${name}=${value}$`, 'm').test(example)
      );
    });
    expect(disagreeing).toEqual([]);
  });
});
