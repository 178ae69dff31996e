/**
 * The contract check: every status an e2e or integration test saw on a route must be declared for
 * that route in docs/openapi.json. Api.request records each answer; global teardown compares.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OPENAPI_FILE = join(__dirname, '..', '..', 'docs', 'openapi.json');

function observationLog(runId: string): string {
  const dir = join(tmpdir(), 'commerce-tests');
  mkdirSync(dir, { recursive: true });
  return join(dir, `observed-${runId}.jsonl`);
}

export function recordObservation(runId: string, method: string, url: string, status: number): void {
  const path = new URL(url).pathname;
  appendFileSync(observationLog(runId), `${JSON.stringify({ method, path, status })}\n`);
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
export function undeclaredStatuses(runId: string): string[] {
  const file = observationLog(runId);
  if (!existsSync(file)) return [];
  const operations = operationsOf(JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'))).sort(
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
