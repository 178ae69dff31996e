/**
 * The contract check: every status an e2e or integration test saw on a route must be declared for
 * that route in docs/openapi.json. Every request a test sends records its answer through
 * {@link recordObservation} (test-app.ts's `recordAnswer`: the Api client, raw requests, fetches to
 * a spawned app); global teardown calls {@link assertContractCovered}. No engines, no app: the
 * unit layer tests it with a fake log.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OPENAPI_FILE = join(__dirname, '..', '..', 'docs', 'openapi.json');

function observationLog(runId: string): string {
  const dir = join(tmpdir(), 'commerce-tests');
  mkdirSync(dir, { recursive: true });
  return join(dir, `observed-${runId}.jsonl`);
}

/**
 * The path of a request as the router matches it: an absolute URL gives its (normalised) pathname,
 * as fetch sends it; a request target (`/admin/../x`, `//admin`) is kept as written, since a raw
 * request sends exactly that and Fastify does not resolve dot segments. Percent-escapes are decoded
 * except `%2F`, as the router does (`/%61dmin/products` is `/admin/products`, `/admin%2Fproducts`
 * no route). The query is not part of the route either way.
 */
function pathOf(target: string): string {
  const path = /^https?:\/\//i.test(target) ? new URL(target).pathname : target.split(/[?#]/, 1)[0];
  return path
    .split(/%2f/i)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    })
    .join('%2F');
}

/** Appends one observed answer to the run's log. `target`: an absolute URL or a request target. */
export function recordObservation(runId: string, method: string, target: string, status: number): void {
  appendFileSync(observationLog(runId), `${JSON.stringify({ method: method.toUpperCase(), path: pathOf(target), status })}\n`);
}

/** Removes a run's log (for the checker's own tests). */
export function forgetObservations(runId: string): void {
  rmSync(observationLog(runId), { force: true });
}

interface OperationMatcher {
  key: string;
  method: string;
  pattern: RegExp;
  statuses: Set<string>;
}

function operationsOf(document: { paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> }): OperationMatcher[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      key: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      // Static segments first: `/products/top-sellers` before `/products/{id}`, as the router does.
      pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`),
      statuses: new Set(Object.keys(operation.responses ?? {})),
    })),
  );
}

/** `METHOD /path/{param} -> status` for every observed answer the document does not declare. */
export function undeclaredStatuses(runId: string, documentFile = OPENAPI_FILE): string[] {
  const file = observationLog(runId);
  if (!existsSync(file)) return [];
  const operations = operationsOf(JSON.parse(readFileSync(documentFile, 'utf8'))).sort(
    (a, b) => (a.key.match(/\{/g)?.length ?? 0) - (b.key.match(/\{/g)?.length ?? 0),
  );
  const missing = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const { method, path, status } = JSON.parse(line) as { method: string; path: string; status: number };
    const operation = operations.find((candidate) => candidate.method === method && candidate.pattern.test(path));
    // Paths outside the document (unknown routes, /docs itself) are not part of the contract.
    if (!operation || operation.statuses.has(String(status))) continue;
    missing.add(`${operation.key} -> ${status}`);
  }
  return [...missing].sort();
}

/** Throws, listing them, when the run observed statuses the document does not declare. */
export function assertContractCovered(runId: string, documentFile = OPENAPI_FILE): void {
  const undeclared = undeclaredStatuses(runId, documentFile);
  if (undeclared.length > 0) {
    throw new Error(
      `[contract] ${undeclared.length} status code(s) observed in tests are not declared in docs/openapi.json:\n` +
        undeclared.map((entry) => `  - ${entry}`).join('\n'),
    );
  }
}
