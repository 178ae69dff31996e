import { getDataSourceToken } from '@nestjs/typeorm';
import { type DataSource } from 'typeorm';
import { migrate } from '../../src/migrate';
import { createCliDataSource, MIGRATIONS } from '../../src/schema';
import { describeWithEngines, isolatedEnvironment, type IsolatedEnvironment } from '../support/real-engines';
import { startApp } from '../support/test-app';

const tables = (dataSource: DataSource) => dataSource.entityMetadatas.map((entity) => entity.tableName).sort();

describeWithEngines('migrations as commands: the CLI data source and DB_MIGRATIONS_RUN=false on MySQL', () => {
  let env: IsolatedEnvironment;
  let cli: DataSource;

  beforeAll(async () => {
    env = await isolatedEnvironment('full', { DB_MIGRATIONS_RUN: 'false' });
    cli = await (await createCliDataSource(env.env)).initialize();
  });

  afterAll(async () => {
    if (cli?.isInitialized) await cli.destroy();
    await env?.cleanup();
  });

  it('on an empty database: showMigrations reports pending migrations and the app refuses to start', async () => {
    expect(await cli.showMigrations()).toBe(true);
    await expect(startApp(env.env)).rejects.toThrow('the database lacks migrations this version needs and DB_MIGRATIONS_RUN=false');
  });

  it('migration:run applies every migration; then none is pending and the entities match the schema (an empty generate)', async () => {
    expect(await migrate(env.env)).toEqual(MIGRATIONS.map((migration) => migration.name));
    expect(await migrate(env.env)).toEqual([]);
    expect(await cli.showMigrations()).toBe(false);
    const diff = await cli.driver.createSchemaBuilder().log();
    expect(diff.upQueries.map((query) => query.query)).toEqual([]);
  });

  it("then the app starts without migrating, and the CLI data source has the app's entities", async () => {
    const app = await startApp(env.env);
    try {
      const appDataSource = app.app.get<DataSource>(getDataSourceToken());
      expect(tables(cli)).toEqual(tables(appDataSource));
      expect((await app.api.get('/health/ready')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
