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
});
