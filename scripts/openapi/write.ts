/**
 * Writes docs/openapi.json from the code (the same document the app serves at /docs-json) and the
 * operations table of docs/api.md from it.
 * `npm run openapi` after any API change; test/e2e/openapi.test.ts fails while the two differ.
 */
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApiDocument, createApp } from '../../src/bootstrap';
import { loadAppConfig } from '../../src/config';
import { withOperationsTable } from './operations-table';

const OPENAPI_FILE = join(__dirname, '..', '..', 'docs', 'openapi.json');
const API_DOC = join(__dirname, '..', '..', 'docs', 'api.md');

async function main(): Promise<void> {
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
