import { assertContractCovered } from './contract-coverage';
import { readDecision, readSkips } from './engines';

const tornDown = Symbol.for('commerce-tests.engines-torn-down');

/** Jest calls this once per project with engines, after all tests: report and remove containers once. */
export default async function globalTeardown(): Promise<void> {
  const state = globalThis as { [tornDown]?: boolean };
  if (state[tornDown]) return;
  state[tornDown] = true;
  const decision = readDecision();
  const skipped = readSkips(decision.runId);
  if (skipped.length > 0) {
    process.stdout.write(
      // With engines, a suite skipped for more than them (a Kafka cluster needs Java) names its reason itself.
      `\n[engines] SKIPPED ${skipped.length} real-engine suite(s) because ${decision.reason ?? 'this machine lacks what they need (as named)'}:\n` +
        skipped.map((s) => `  - ${s}`).join('\n') +
        '\nRun them with engines: `npm run engines:up` and its exports, or a Docker engine.\n',
    );
  }
  const ids = decision.engines?.containerIds ?? [];
  if (ids.length > 0) {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    await Promise.allSettled(ids.map(async (id) => client.container.remove(client.container.getById(id), { removeVolumes: true })));
  }
  // Last, so containers are removed even when the contract check fails the run.
  assertContractCovered(decision.runId);
}
