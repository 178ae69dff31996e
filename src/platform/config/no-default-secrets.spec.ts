import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const SCANNED = ['src', 'support', 'bench', 'scripts', 'Dockerfile', 'docker-compose.yml', '.env.example'];

const SECRET_NAME = String.raw`(secret|password|passwd|api[_-]?key|private[_-]?key)\w*['"]?`;
const CODE_PATTERNS = [
  // In code: a quoted literal assigned to it, or given as its default (`password: 'abc123'`, `.default('...')`).
  new RegExp(String.raw`${SECRET_NAME}\s*[:=]\s*(['"\x60])(?!\$\{)[^'"\x60]{4,}\2`, 'i'),
  new RegExp(String.raw`${SECRET_NAME}:\s*Joi\..*\.default\((['"\x60])[^'"\x60]+\2`, 'i'),
  // Or as the fallback of one (`process.env.DB_PASSWORD ?? 'abc123'`).
  new RegExp(String.raw`${SECRET_NAME}\s*(\?\?|\|\|)\s*(['"\x60])(?!\$\{)[^'"\x60]{4,}\3`, 'i'),
];
const CONFIG_PATTERNS = [
  // In compose and env files: an unquoted value, or a non-empty `${VAR:-default}`.
  new RegExp(String.raw`^\s*\w*(SECRET|PASSWORD)\w*\s*[:=]\s*(?![$'"\s])\S{4,}`),
  new RegExp(String.raw`\$\{\w*(SECRET|PASSWORD)\w*:-[^}]+\}`),
];
const patternsFor = (file: string) => (/\.(ts|js)$/.test(file) ? CODE_PATTERNS : CONFIG_PATTERNS);
const ASSIGNED_SECRET = { test: (line: string, file = 'x.ts') => patternsFor(file).some((pattern) => pattern.test(line)) };

// Each allowed line with the reason it is not a secret.
const ALLOWED: Array<[RegExp, string]> = [
  [
    /DEMO_USER = \{ email: 'demo@example\.com', password: 'demo-password'/,
    'documented demo account (role user), seeded only with demo data',
  ],
  [/^(MYSQL_PASSWORD|DB_PASSWORD): commerce$/, 'compose-internal engine account; the engines publish no host port'],
  [/MYSQL_RANDOM_ROOT_PASSWORD: "yes"/, 'not a password: asks MySQL to generate one'],
  [/^\w+_FILE: /, 'a path to a secret, not a secret'],
  [/^DB_PASSWORD="\$\{DB_PASSWORD:-commerce\}"$/, 'scripts/engines/up.sh: the local development engines it creates itself'],
  [/^password: process\.env\.DB_PASSWORD \?\? 'commerce',$/, 'support/isolated-resources.ts: the same local engines (npm run engines:up)'],
];

function files(path: string): string[] {
  const full = join(ROOT, path);
  if (statSync(full).isFile()) return [full];
  return readdirSync(full).flatMap((name) => files(join(path, name)));
}

describe('no secret in the source', () => {
  it('assigns no literal to anything named like a secret, outside the listed exceptions', () => {
    const findings = SCANNED.flatMap(files)
      .filter((file) => !file.endsWith('.spec.ts') && !file.includes('/results/'))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, index) => ({ file: relative(ROOT, file), line: index + 1, text: line.trim() }))
          .filter(({ file, text }) => ASSIGNED_SECRET.test(text, file) && !ALLOWED.some(([allowed]) => allowed.test(text))),
      );
    expect(findings).toEqual([]);
  });

  it('would catch a constant secret, in code and in compose', () => {
    // Built at run time from a random value, so this spec holds no secret-like literal itself.
    const value = randomBytes(24).toString('hex');
    expect(ASSIGNED_SECRET.test(`const DEV_JWT_SECRET = '${value}';`)).toBe(true);
    expect(ASSIGNED_SECRET.test(`JWT_SECRET: Joi.string().default('${value}'),`)).toBe(true);
    expect(ASSIGNED_SECRET.test(`password: process.env.DB_PASSWORD ?? '${value}',`)).toBe(true);
    expect(ASSIGNED_SECRET.test(`JWT_SECRET: \${JWT_SECRET:-${value}}`, 'compose.yml')).toBe(true);
    expect(ASSIGNED_SECRET.test(`DB_PASSWORD: ${value}`, 'compose.yml')).toBe(true);
    expect(ASSIGNED_SECRET.test('JWT_SECRET: ${JWT_SECRET:-}', 'compose.yml')).toBe(false);
  });
});
