import { randomBytes } from 'node:crypto';
import { decideEngines, enginesRequired, writeDecision } from './engines';

const decided = Symbol.for('commerce-tests.engines-decided');

/** Shared by the e2e and integration projects: the engines are decided once per run, not per project. */
export default async function globalSetup(): Promise<void> {
  const state = globalThis as { [decided]?: boolean };
  if (state[decided]) return;
  state[decided] = true;
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const decision = await decideEngines(runId);
  writeDecision(decision);
  const engines = decision.engines;
  if (engines) {
    process.stdout.write(
      `\n[engines] ${engines.mode}: MySQL ${engines.db.host}:${engines.db.port}, Redis ${engines.redisUrl}, Kafka ${engines.kafkaBrokers} (run ${runId})\n`,
    );
  } else if (enginesRequired()) {
    throw new Error(`TEST_REQUIRE_ENGINES=1 but no real engines: ${decision.reason}`);
  } else {
    process.stdout.write(`\n[engines] none: ${decision.reason}. Real-engine suites will be SKIPPED and listed at the end.\n`);
  }
}
