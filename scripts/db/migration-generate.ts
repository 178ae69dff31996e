/**
 * `npm run migration:generate -- <name>`: TypeORM's `migration:generate` with the CLI data source
 * (src/data-source.ts) against MySQL/MariaDB (APP_PROFILE=full and DB_*, from the environment or
 * .env). Writes src/platform/database/migrations/<timestamp>-<name>.ts (Prettier-formatted) and adds
 * it to MIGRATIONS, which lists every migration in order. Further arguments go to TypeORM:
 * `--check` (exit 1 when entities and schema differ) and `--dryrun` (print it) write nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDatabaseConfig } from '../../src/platform/config/app-config';

const ROOT = join(__dirname, '..', '..');
const MIGRATIONS_DIR = join(ROOT, 'src', 'platform', 'database', 'migrations');
const INDEX = join(MIGRATIONS_DIR, 'index.ts');

function fail(message: string): never {
  process.stderr.write(`migration:generate: ${message}\n`);
  process.exit(1);
}

function main(): void {
  const args = process.argv.slice(2);
  const flags = args.filter((arg) => arg.startsWith('-'));
  const writesNothing = flags.some((flag) => ['--check', '--ch', '--dryrun', '--dr'].includes(flag));
  const name = args.find((arg) => !arg.startsWith('-')) ?? (writesNothing ? 'schema-drift' : undefined);
  if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) fail('usage: npm run migration:generate -- <name in kebab-case> [--check | --dryrun]');

  if (existsSync(join(ROOT, '.env'))) process.loadEnvFile(join(ROOT, '.env'));
  // The generated SQL is the server's dialect: MySQL's is the one to start a migration from.
  if (loadDatabaseConfig(process.env).profile !== 'full') fail('compares with MySQL/MariaDB: set APP_PROFILE=full and DB_* (or in .env)');

  const timestamp = Date.now();
  const typeorm = join(ROOT, 'node_modules', 'typeorm', 'cli.js');
  const generated = spawnSync(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      typeorm,
      'migration:generate',
      join(MIGRATIONS_DIR, name),
      '-d',
      'src/data-source.ts',
      '--pretty',
      '--timestamp',
      String(timestamp),
      ...flags,
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (generated.status !== 0) process.exit(generated.status ?? 1);
  if (writesNothing) return;

  const file = join(MIGRATIONS_DIR, `${timestamp}-${name}.ts`);
  const className = /export class (\w+)/.exec(readFileSync(file, 'utf8'))?.[1];
  if (!className) fail(`no migration class in ${file}`);
  const index = readFileSync(INDEX, 'utf8')
    .replace(/((?:^import .*\n)+)/m, `$1import { ${className} } from './${timestamp}-${name}';\n`)
    .replace(/\n\];/, `\n  ${className},\n];`);
  writeFileSync(INDEX, index);
  // In the project's style: `import type`, then Prettier.
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--fix', file], { cwd: ROOT, stdio: 'ignore' });
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--write', file, INDEX], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  process.stdout.write(
    `added ${className} to MIGRATIONS (${INDEX}).\n` +
      'The embedded profile runs the same migrations on SQLite: before committing, write its statements with the\n' +
      "QueryRunner's Table API as the other migrations do (the e2e suite's embedded runs fail otherwise).\n",
  );
}

main();
