import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { assertContractCovered, forgetObservations, recordObservation, undeclaredStatuses } from './contract-coverage';

// The checker global teardown runs after every e2e/integration run, fed a fake log: no app, no engines.
describe('contract check (every observed status is declared)', () => {
  const runIds: string[] = [];
  const fakeRun = () => {
    const runId = `unit-${randomBytes(4).toString('hex')}`;
    runIds.push(runId);
    return runId;
  };
  let dir: string;
  let documentFile: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'contract-check-'));
    documentFile = join(dir, 'openapi.json');
    const responses = (...statuses: number[]) => ({ responses: Object.fromEntries(statuses.map((s) => [String(s), {}])) });
    writeFileSync(
      documentFile,
      JSON.stringify({
        paths: {
          '/products': { get: responses(200, 400) },
          '/products/{id}': { get: responses(200, 404) },
          '/products/top-sellers': { get: responses(200) },
          '/admin/products': { post: responses(201, 401, 403) },
        },
      }),
    );
  });

  afterAll(() => {
    for (const runId of runIds) forgetObservations(runId);
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails listing each undeclared status once, by operation, and passes declared and unknown routes', () => {
    const runId = fakeRun();
    recordObservation(runId, 'GET', 'http://127.0.0.1:3000/products?limit=1', 200);
    recordObservation(runId, 'GET', 'http://127.0.0.1:3000/products/7', 404);
    recordObservation(runId, 'GET', 'http://127.0.0.1:3000/products/7', 418);
    recordObservation(runId, 'GET', 'http://127.0.0.1:3000/products/8', 418);
    // A static segment wins over a parameter, as in the router.
    recordObservation(runId, 'GET', 'http://127.0.0.1:3000/products/top-sellers', 404);
    // fetch normalises `..`; the URL form is read the same way.
    recordObservation(runId, 'get', 'http://127.0.0.1:3000/admin/../admin/products', 429);
    // A raw request target is kept as sent: `//admin/products` is no route of the document.
    recordObservation(runId, 'POST', '//admin/products?role=admin', 404);
    recordObservation(runId, 'POST', '/admin/products?role=admin', 403);
    // The router decodes escapes, except an encoded slash.
    recordObservation(runId, 'POST', '/%61dmin/products', 418);
    recordObservation(runId, 'POST', '/admin%2Fproducts', 404);
    recordObservation(runId, 'GET', 'http://127.0.0.1:3000/docs', 200);
    recordObservation(runId, 'DELETE', 'http://127.0.0.1:3000/products', 405);

    expect(undeclaredStatuses(runId, documentFile)).toEqual([
      'GET /products/top-sellers -> 404',
      'GET /products/{id} -> 418',
      'POST /admin/products -> 418',
    ]);
    expect(() => assertContractCovered(runId, documentFile)).toThrow(
      '[contract] 3 status code(s) observed in tests are not declared in docs/openapi.json:\n' +
        '  - GET /products/top-sellers -> 404\n' +
        '  - GET /products/{id} -> 418\n' +
        '  - POST /admin/products -> 418',
    );
  });

  it('counts the method: an answer on another method of a known path is judged by that operation', () => {
    const runId = fakeRun();
    recordObservation(runId, 'POST', 'http://127.0.0.1:3000/admin/products', 500);
    expect(() => assertContractCovered(runId, documentFile)).toThrow('  - POST /admin/products -> 500');
  });

  it('passes when every observed status is declared, or nothing was observed', () => {
    const runId = fakeRun();
    recordObservation(runId, 'GET', 'http://127.0.0.1:3000/products', 400);
    recordObservation(runId, 'POST', '/admin/products', 201);
    expect(() => assertContractCovered(runId, documentFile)).not.toThrow();
    expect(() => assertContractCovered(fakeRun(), documentFile)).not.toThrow();
  });

  it('reads the committed docs/openapi.json by default', () => {
    const runId = fakeRun();
    recordObservation(runId, 'GET', 'http://127.0.0.1:3000/products', 200);
    recordObservation(runId, 'GET', 'http://127.0.0.1:3000/products', 418);
    expect(undeclaredStatuses(runId)).toEqual(['GET /products -> 418']);
  });
});
