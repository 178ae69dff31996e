import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Engines, enginesRequired, readDecision, recordSkip } from './engines';

const ROOT = join(__dirname, '..', '..');

/** The Kafka broker this run's tests may stop, restart and pause: the one scripts/kafka/start.sh runs. */
export interface LocalBroker {
  /** Its process id now (it changes with every start). */
  pid(): number;
  /** scripts/kafka/stop.sh: a clean stop. */
  stop(): void;
  /** scripts/kafka/start.sh --keep-data: back with its topics, messages and committed offsets. */
  start(): void;
}

/**
 * The broker of this run when scripts/kafka/start.sh started it for these engines (env mode, its
 * address 127.0.0.1:KAFKA_BROKER_PORT, its pid file in KAFKA_RUN_DIR): the scripts read the same
 * KAFKA_BROKER_PORT, KAFKA_CONTROLLER_PORT and KAFKA_RUN_DIR from the env they inherit, so a
 * second broker (CI runs one per test suite) is the one stopped. Undefined for a container or a
 * broker this project did not start: the tests that stop it are skipped there.
 */
export function localBroker(engines: Engines | null): LocalBroker | undefined {
  const port = process.env.KAFKA_BROKER_PORT ?? '9092';
  const runDir = process.env.KAFKA_RUN_DIR ?? join(homedir(), '.cache/commerce-kafka/run');
  const pidFile = join(runDir, 'kafka.pid');
  if (engines?.mode !== 'env' || !new RegExp(`^(127\\.0\\.0\\.1|localhost):${port}$`).test(engines.kafkaBrokers)) return undefined;
  if (!existsSync(pidFile)) return undefined;
  const script = (name: string, ...args: string[]) =>
    execFileSync('bash', [join(ROOT, 'scripts/kafka', name), ...args], { stdio: 'inherit' });
  return {
    pid: () => {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`no broker pid in ${pidFile}`);
      return pid;
    },
    stop: () => script('stop.sh'),
    start: () => script('start.sh', '--keep-data'),
  };
}

type TestDefinition = (name: string, fn: jest.ProvidesCallback, timeout?: number) => void;

/**
 * `it` for a test that stops, restarts or pauses this run's broker. Where the run's broker is not
 * one scripts/kafka/start.sh started (a container, a broker of someone else's), the test is skipped
 * and listed at the end with the other skips; under TEST_REQUIRE_ENGINES=1, which promises that
 * every real-engine test ran, it fails instead, saying why.
 */
export function itWithLocalBroker(broker: LocalBroker | undefined): TestDefinition {
  if (broker) return it;
  const why =
    `the run's Kafka broker (${process.env.KAFKA_BROKERS ?? 'none'}) is not one scripts/kafka/start.sh started ` +
    `(KAFKA_BROKER_PORT ${process.env.KAFKA_BROKER_PORT ?? '9092'}, pid file in KAFKA_RUN_DIR), so this test cannot stop it`;
  if (enginesRequired()) {
    return (name) =>
      it(name, () => {
        throw new Error(`TEST_REQUIRE_ENGINES=1, but ${why}`);
      });
  }
  return (name, fn, timeout) => {
    const { runId, engines } = readDecision();
    if (engines) recordSkip(runId, `${name} (${expect.getState().testPath}): ${why}`);
    it.skip(name, fn, timeout);
  };
}
