import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withOperationsTable } from '../../support/operations-table';
import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startBuiltApp, type TestApp } from '../support/test-app';

const COMMITTED = JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8'));

type Operation = {
  operationId?: string;
  summary?: string;
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; schema: { type?: string } }>;
  responses: Record<string, { content?: Record<string, unknown> }>;
};

function operations(document: typeof COMMITTED): Array<[string, Operation]> {
  return Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation]),
  );
}

describe.each(profilesUnderTest())('the OpenAPI document is the contract (%s profile, built app)', (profile) => {
  let env: IsolatedEnvironment;
  let app: TestApp;

  beforeAll(async () => {
    env = await isolatedEnvironment(profile);
    // What operators run: only `nest build` adds the swagger plugin's constraints to the document.
    app = await startBuiltApp(env.env);
  }, 320_000);

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('serves exactly docs/openapi.json from dist/ (run `npm run openapi` after an API change)', async () => {
    const served = (await app.api.get('/docs-json')).body;
    expect(served).toEqual(COMMITTED);
  });
});

describe('docs/openapi.json', () => {
  it('is what the operations table of docs/api.md shows (run `npm run openapi` after an API change)', () => {
    const apiDoc = readFileSync(join(__dirname, '..', '..', 'docs', 'api.md'), 'utf8');
    expect(withOperationsTable(apiDoc, COMMITTED)).toBe(apiDoc);
  });

  it('names, summarises and secures every operation, and answers errors as problem+json', () => {
    const all = operations(COMMITTED);
    expect(all.length).toBeGreaterThanOrEqual(24);
    const ids = all.map(([, operation]) => operation.operationId);
    expect(new Set(ids).size).toBe(all.length);
    for (const [key, operation] of all) {
      expect({ key, operationId: operation.operationId }).toEqual({ key, operationId: expect.stringMatching(/^[a-z][A-Za-z]+$/) });
      expect({ key, summary: operation.summary }).toEqual({ key, summary: expect.any(String) });
      expect({ key, security: Array.isArray(operation.security) }).toEqual({ key, security: true });
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400 && !(key === 'GET /health/ready' && status === '503')) {
          expect({ key, status, types: Object.keys(response.content ?? {}) }).toEqual({ key, status, types: ['application/problem+json'] });
        }
      }
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === 'path' && parameter.name === 'id')
          expect({ key, type: parameter.schema.type }).toEqual({ key, type: 'integer' });
      }
    }
  });

  it('declares 401 on every authenticated operation, 403 on admin ones, security [] on public ones, Idempotency-Key where honoured', () => {
    const byKey = Object.fromEntries(operations(COMMITTED));
    for (const key of ['GET /admin/products', 'POST /admin/products', 'PATCH /admin/products/{id}', 'POST /admin/coupons']) {
      expect(Object.keys(byKey[key].responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
    for (const key of ['GET /products', 'GET /products/{id}', 'POST /auth/login', 'POST /auth/signup', 'GET /health/live']) {
      expect(byKey[key].security).toEqual([]);
    }
    for (const key of [
      'POST /orders',
      'POST /orders/{id}/pay',
      'POST /orders/{id}/cancel',
      'POST /points/charge',
      'POST /coupons/{id}/issue',
    ]) {
      expect(byKey[key].security).toEqual([{ bearer: [] }]);
      expect(byKey[key].parameters?.map((p) => p.name)).toContain('Idempotency-Key');
      expect(Object.keys(byKey[key].responses)).toEqual(expect.arrayContaining(['400', '401', '409', '422', '503']));
    }
    expect(Object.keys(byKey['POST /auth/login'].responses)).toEqual(expect.arrayContaining(['200', '400', '401', '429']));
    expect(COMMITTED.components.schemas.Problem.properties.code.enum).toEqual(
      expect.arrayContaining(['VALIDATION_FAILED', 'COUPON_SOLD_OUT', 'RATE_LIMITED']),
    );
  });
});
