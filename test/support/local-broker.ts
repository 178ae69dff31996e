import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type Engines, enginesRequired, readDecision, recordSkip } from './engines';

const ROOT = join(__dirname, '..', '..');

/** The Kafka broker this run's tests may stop, restart and pause: the one scripts/kafka/start.sh runs. */
export interface LocalBroker {
  /**
   * SIGSTOP to the process listening on the broker's port (it must be the one the pid file names),
   * resolved once the fault has landed: every thread of it stopped (kill() returns before they
   * are), and a request sent to the port then gets no answer within 3 s. Throws, the broker resumed, when
   * either does not happen; CI once saw a produce sent after the signal acknowledged within 7 ms.
   */
  pause(): Promise<void>;
  /** SIGCONT to what pause() stopped. */
  resume(): void;
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
  // Read when used: it changes with every start, and an earlier test file may have restarted the broker.
  const pid = () => {
    const value = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`no broker pid in ${pidFile}`);
    return value;
  };
  let paused: number | undefined;
  return {
    pause: async () => {
      const target = pid();
      const holder = listenerOf(Number(port));
      if (holder !== target) throw new Error(`${pidFile} names pid ${target}, but port ${port} is held by ${holder ?? 'no process'}`);
      process.kill(target, 'SIGSTOP');
      paused = target;
      try {
        await untilEveryThreadStopped(target);
        if (await brokerAnswers(port)) throw new Error(`the broker on port ${port} still answers after SIGSTOP`);
      } catch (error) {
        process.kill(target, 'SIGCONT');
        paused = undefined;
        throw error;
      }
    },
    resume: () => {
      if (paused !== undefined) process.kill(paused, 'SIGCONT');
      paused = undefined;
    },
    stop: () => script('stop.sh'),
    start: () => script('start.sh', '--keep-data'),
  };
}

const STOP_WAIT_MS = 10_000;

/** The pid of the process holding the listening socket of 127.0.0.1:port (/proc/net/tcp{,6} inode → /proc/<pid>/fd). */
function listenerOf(port: number): number | undefined {
  const inodes = new Set(
    ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
      readFileSync(table, 'utf8')
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/))
        // local_address is hex "address:port", st 0A is LISTEN, field 9 the socket's inode
        .filter((fields) => fields.length > 9 && fields[3] === '0A' && parseInt(fields[1].split(':')[1], 16) === port)
        .map((fields) => `socket:[${fields[9]}]`),
    ),
  );
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readdirSync(`/proc/${entry}/fd`).some((fd) => inodes.has(readlinkSync(`/proc/${entry}/fd/${fd}`)))) return Number(entry);
    } catch {
      // another user's process, or one that ended meanwhile
    }
  }
  return undefined;
}

/** Polls /proc/<pid>/task/<tid>/stat until no thread of the process is still running. */
async function untilEveryThreadStopped(pid: number): Promise<void> {
  const deadline = Date.now() + STOP_WAIT_MS;
  for (;;) {
    const running = threadStates(pid).filter((state) => !'TtZX'.includes(state));
    if (running.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`broker pid ${pid}: ${running.length} thread(s) still not stopped ${STOP_WAIT_MS} ms after SIGSTOP`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function threadStates(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((thread) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
      return [stat.charAt(stat.lastIndexOf(')') + 2)]; // "tid (comm) S ...": the comm may hold anything
    } catch {
      return []; // the thread ended meanwhile
    }
  });
}

/** scripts/kafka/common.sh's kafka_answers (ApiVersions, 3 s to reply): whether the broker on the port serves requests. */
function brokerAnswers(port: string): Promise<boolean> {
  const probe = 'source "$0" && kafka_answers 127.0.0.1 "$1"';
  return new Promise((resolve) => execFile('bash', ['-c', probe, join(ROOT, 'scripts/kafka/common.sh'), port], (error) => resolve(!error)));
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
