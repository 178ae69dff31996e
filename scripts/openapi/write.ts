/**
 * Writes docs/openapi.json as the built app serves it at /docs-json, and the operations table of
 * docs/api.md from it. The app is loaded from dist/: only `nest build` runs the @nestjs/swagger CLI
 * plugin (nest-cli.json), which adds the DTOs' class-validator constraints to the document, so the
 * sources under ts-node would write a poorer one. `npm run openapi` builds first when dist/ is stale.
 * Run it after any API change; test/e2e/openapi.test.ts fails while the two differ.
 */
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Bootstrap from '../../src/bootstrap';
import type * as Config from '../../src/config';
import { withOperationsTable } from '../../support/operations-table';

const ROOT = join(__dirname, '..', '..');
const OPENAPI_FILE = join(ROOT, 'docs', 'openapi.json');
const API_DOC = join(ROOT, 'docs', 'api.md');

async function main(): Promise<void> {
  const { buildApiDocument, createApp } = (await import(join(ROOT, 'dist', 'bootstrap.js'))) as typeof Bootstrap;
  const { loadAppConfig } = (await import(join(ROOT, 'dist', 'config.js'))) as typeof Config;
  const app = await createApp(loadAppConfig({ SQLITE_PATH: ':memory:', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'false' }));
  try {
    await app.init();
    const document = buildApiDocument(app);
    writeFileSync(OPENAPI_FILE, `${JSON.stringify(document, null, 2)}\n`);
    writeFileSync(API_DOC, withOperationsTable(readFileSync(API_DOC, 'utf8'), document as never));
    process.stdout.write(`wrote ${OPENAPI_FILE} and the operations table of ${API_DOC}\n`);
  } finally {
    await app.close();
  }
}

void main();
