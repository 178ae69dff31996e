import { type MigrationInterface } from 'typeorm';
import { composeSchema } from './schema-part';

const migration = (name: string) =>
  ({
    [name]: class implements MigrationInterface {
      async up(): Promise<void> {}
      async down(): Promise<void> {}
    },
  })[name];

describe('composeSchema', () => {
  const [early, middle, late] = [migration('Early1700000000000'), migration('Middle1700000000001'), migration('Late1800000000000')];

  it("runs every owner's migrations oldest first, whichever owner lists them", () => {
    const schema = composeSchema([
      { entities: [], migrations: [late, early] },
      { entities: [], migrations: [middle] },
    ]);
    expect(schema.migrations).toEqual([early, middle, late]);
  });

  it('refuses a migration listed twice, or one whose name carries no timestamp', () => {
    expect(() =>
      composeSchema([
        { entities: [], migrations: [early] },
        { entities: [], migrations: [early] },
      ]),
    ).toThrow('migration Early1700000000000 is listed twice');
    expect(() => composeSchema([{ entities: [], migrations: [migration('AddThings')] }])).toThrow(
      'migration AddThings: its class name must end with a 13-digit timestamp',
    );
  });
});
