import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { APP_SCHEMA, MIGRATIONS } from './schema';

/** Every migration file of every owner: each module's `migrations/`, and the platform's. */
function migrationFiles(): string[] {
  const modules = join(__dirname, 'modules');
  const folders = [
    join(__dirname, 'platform', 'database', 'migrations'),
    ...readdirSync(modules, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(modules, entry.name, 'migrations')),
  ];
  return folders.flatMap((folder) => {
    try {
      return readdirSync(folder)
        .filter((file) => /^\d{13}-.+\.ts$/.test(file))
        .map((file) => join(folder, file));
    } catch {
      return []; // a module without migrations of its own yet
    }
  });
}

describe("the app's schema", () => {
  it('runs the migrations deployed databases ran, under the same names and in the same order', () => {
    expect(MIGRATIONS.slice(0, 5).map((migration) => migration.name)).toEqual([
      'Users1732400000000',
      'CommerceCore1732500000000',
      'OutboxKeyIndex1732600000000',
      'CouponIssueRequests1732700000000',
      'DatabaseIdentity1732800000000',
    ]);
  });

  it("lists every migration file in its owner's schema part (a file not listed would never run)", () => {
    const files = migrationFiles();
    expect(files.length).toBeGreaterThanOrEqual(5);
    const unlisted = files.filter((file) => {
      const exports = Object.values(require(file) as Record<string, unknown>); // eslint-disable-line @typescript-eslint/no-require-imports
      return !exports.some((exported) => (MIGRATIONS as unknown[]).includes(exported));
    });
    expect(unlisted.map((file) => relative(__dirname, file))).toEqual([]);
    expect(MIGRATIONS).toHaveLength(files.length);
  });

  it('maps every table once', () => {
    expect(new Set(APP_SCHEMA.entities).size).toBe(APP_SCHEMA.entities.length);
  });
});
