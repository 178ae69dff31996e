/**
 * Writes docs/openapi.json from the code: the same document the app serves at /docs-json.
 * `npm run openapi` after any API change; test/e2e/openapi.test.ts fails while the two differ.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApiDocument, createApp } from '../../src/bootstrap';
import { loadAppConfig } from '../../src/platform/config/app-config';

export const OPENAPI_FILE = join(__dirname, '..', '..', 'docs', 'openapi.json');

async function main(): Promise<void> {
  const app = await createApp(loadAppConfig({ SQLITE_PATH: ':memory:', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'false' }));
  try {
    await app.init();
    writeFileSync(OPENAPI_FILE, `${JSON.stringify(buildApiDocument(app), null, 2)}\n`);
    process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
  } finally {
    await app.close();
  }
}

void main();
