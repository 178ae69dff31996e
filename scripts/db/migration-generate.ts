/**
 * `npm run migration:generate -- <owner> <name>`: TypeORM's `migration:generate` with the CLI data
 * source (src/data-source.ts) against MySQL/MariaDB (APP_PROFILE=full and DB_*, from the environment
 * or .env). The owner is the module whose tables change (`order`), or `platform`: writes
 * `<timestamp>-<name>.ts` (Prettier-formatted) into the owner's `migrations/` folder and adds it to
 * the owner's schema part (`src/modules/order/order-schema.ts`, `src/platform/database/platform-schema.ts`).
 * Further arguments go to TypeORM: `--check` (exit 1 when entities and schema differ) and `--dryrun`
 * (print it) write nothing, and need no owner or name.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { loadDatabaseConfig } from '../../src/platform/config/app-config';

const ROOT = join(__dirname, '..', '..');

/** Where an owner's migrations live, and the schema part that lists them (`migrations: [...]`). */
function ownerFiles(owner: string): { dir: string; schema: string } {
  if (owner === 'platform') {
    const database = join(ROOT, 'src', 'platform', 'database');
    return { dir: join(database, 'migrations'), schema: join(database, 'platform-schema.ts') };
  }
  const module = join(ROOT, 'src', 'modules', owner);
  return { dir: join(module, 'migrations'), schema: join(module, `${owner}-schema.ts`) };
}

function fail(message: string): never {
  process.stderr.write(`migration:generate: ${message}\n`);
  process.exit(1);
}

function main(): void {
  const args = process.argv.slice(2);
  const flags = args.filter((arg) => arg.startsWith('-'));
  const writesNothing = flags.some((flag) => ['--check', '--ch', '--dryrun', '--dr'].includes(flag));
  const given = args.filter((arg) => !arg.startsWith('-'));
  const [owner, name] = given.length === 0 && writesNothing ? ['platform', 'schema-drift'] : given;
  const usage =
    'usage: npm run migration:generate -- <owner: a module under src/modules, or platform> <name in kebab-case> [--check | --dryrun]';
  if (!owner || !name || !/^[a-z][a-z0-9-]*$/.test(name)) fail(usage);
  const { dir, schema } = ownerFiles(owner);
  if (!existsSync(schema)) fail(`no schema part ${schema}: ${usage}`);

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
      join(dir, name),
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

  const file = join(dir, `${timestamp}-${name}.ts`);
  const className = /export class (\w+)/.exec(readFileSync(file, 'utf8'))?.[1];
  if (!className) fail(`no migration class in ${file}`);
  const from = `./${relative(dirname(schema), file).replace(/\.ts$/, '')}`;
  const listed = readFileSync(schema, 'utf8')
    .replace(/((?:^import .*;\n)+)/m, `$1import { ${className} } from '${from}';\n`)
    .replace(
      /migrations: \[([^\]]*)\]/,
      (_, list: string) => `migrations: [${list.trim() ? `${list.trim().replace(/,$/, '')}, ` : ''}${className}]`,
    );
  writeFileSync(schema, listed);
  // In the project's style: `import type`, then Prettier.
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--fix', file], { cwd: ROOT, stdio: 'ignore' });
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--write', file, schema], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  process.stdout.write(
    `added ${className} to the migrations of ${owner} (${schema}).\n` +
      'The embedded profile runs the same migrations on SQLite: before committing, write its statements with the\n' +
      "QueryRunner's Table API as the other migrations do (the e2e suite's embedded runs fail otherwise).\n",
  );
}

main();
