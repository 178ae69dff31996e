import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDecision } from './engines';

/**
 * Global setup of the mutation run (jest.mutation.config.js): the embedded profile only, whatever
 * the machine has. Stryker runs the tests once per mutant; real engines would make that hours, and
 * the embedded profile runs the same services over SQLite and the in-process bus and lock.
 */
export default function mutationSetup(): void {
  const runId = `mutation-${process.pid}`;
  rmSync(join(tmpdir(), 'commerce-tests', `${runId}-skipped.txt`), { force: true });
  writeDecision({ runId, engines: null, reason: 'the mutation run uses the embedded profile only' });
}
