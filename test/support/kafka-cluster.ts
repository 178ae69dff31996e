import { execFile, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engines } from './engines';
import { enginesRequired, readDecision, recordSkip } from './engines';
import { describeWithEngines } from './real-engines';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'kafka', 'cluster.sh');

/**
 * A three-node KRaft cluster of this test file's own (scripts/kafka/cluster.sh), on 127.0.0.1.
 * Its ports derive from the suite's KAFKA_BROKER_PORT (CI runs two suites side by side, each with
 * its own broker): base 19000 + 10 × (that port mod 1000), so 9092 → 19920-19925 and 9094 →
 * 19940-19945, outside the ephemeral range; KAFKA_TEST_CLUSTER_BASE_PORT overrides. Its run dir
 * is named after the base port, so a run killed before its clean-up leaves nothing the next one
 * trips on: start() stops what that run dir's pid files name first.
 */
export class LocalKafkaCluster {
  readonly basePort: number;
  readonly runDir: string;
  /** Node n (1-3) answers on brokerPorts[n - 1]. */
  readonly brokerPorts: number[];
  /** What the scripts printed, for a failure's message. */
  readonly output: string[] = [];

  constructor() {
    const suitePort = Number(process.env.KAFKA_BROKER_PORT ?? 9092);
    this.basePort = Number(process.env.KAFKA_TEST_CLUSTER_BASE_PORT ?? 19_000 + 10 * (suitePort % 1000));
    this.runDir = join(tmpdir(), `commerce-kafka-cluster-${this.basePort}`);
    this.brokerPorts = [0, 2, 4].map((offset) => this.basePort + offset);
  }

  /** KAFKA_BROKERS for the app and the tests' clients. */
  get brokers(): string {
    return this.brokerPorts.map((port) => `127.0.0.1:${port}`).join(',');
  }

  async start(): Promise<void> {
    await this.run('stop', '--kill').catch(() => undefined); // leftovers of a killed run on this run dir
    rmSync(this.runDir, { recursive: true, force: true });
    await this.run('start');
  }

  /** A clean stop (SIGTERM): the node hands its partition leadership over before it goes. */
  stopNode(node: number): Promise<void> {
    return this.run('stop-node', String(node));
  }

  /** SIGKILL, as in a crash: no controlled shutdown; the controller fences it after broker.session.timeout.ms (9 s). */
  killNode(node: number): Promise<void> {
    return this.run('kill-node', String(node));
  }

  /** Back on its data; returns once it answers. */
  startNode(node: number): Promise<void> {
    return this.run('start-node', String(node));
  }

  /** Stops every node and removes the cluster's data (SIGKILL: nothing of it is kept anyway). */
  async stop(): Promise<void> {
    try {
      await this.run('stop', '--kill');
    } finally {
      rmSync(this.runDir, { recursive: true, force: true });
    }
  }

  /** Asynchronous on purpose: the app under test runs in this process and must keep serving meanwhile. */
  private run(...args: string[]): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_CLUSTER_RUN_DIR: this.runDir, KAFKA_CLUSTER_BASE_PORT: String(this.basePort) };
    // Not the suite's own broker settings: cluster.sh gives each node its own.
    for (const name of ['KAFKA_BROKER_PORT', 'KAFKA_CONTROLLER_PORT', 'KAFKA_RUN_DIR']) delete env[name];
    return new Promise((resolve, reject) => {
      execFile('bash', [SCRIPT, ...args], { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        this.output.push(`$ cluster.sh ${args.join(' ')}\n${stdout}${stderr}`);
        if (process.env.TEST_LOG_LEVEL) process.stdout.write(`${stdout}${stderr}`);
        if (error) reject(new Error(`scripts/kafka/cluster.sh ${args.join(' ')} failed (${error.message}):\n${stdout}${stderr}`));
        else resolve();
      });
    });
  }
}

/** Why scripts/kafka/cluster.sh cannot run here (no Java, or no cached jars and no Maven), if it cannot. */
export function kafkaClusterUnavailable(): string | undefined {
  if (spawnSync(process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java', ['-version']).status !== 0) {
    return 'no java to run Kafka brokers with';
  }
  const cache = process.env.KAFKA_CACHE_DIR ?? join(homedir(), '.cache', 'commerce-kafka');
  const jars = existsSync(join(cache, process.env.KAFKA_VERSION ?? '4.1.1', '.complete'));
  if (!jars && spawnSync('mvn', ['-v']).status !== 0) return 'no cached Kafka jars and no mvn to fetch them';
  return undefined;
}

/**
 * describeWithEngines for a suite that also runs its own three-node Kafka cluster: skipped, and
 * listed at the end, when the run has no engines, or when this machine cannot run Kafka from its
 * jars and engines are not required; under TEST_REQUIRE_ENGINES=1 it runs, so a cluster that
 * cannot start fails the suite.
 */
export function describeWithKafkaCluster(title: string, body: (engines: Engines, cluster: LocalKafkaCluster) => void): void {
  const unavailable = kafkaClusterUnavailable();
  if (unavailable && !enginesRequired() && readDecision().engines) {
    recordSkip(readDecision().runId, `${title} (${expect.getState().testPath}): ${unavailable}`);
    const skipSuite = describe.skip;
    skipSuite(title, () => body(null as unknown as Engines, new LocalKafkaCluster()));
    return;
  }
  describeWithEngines(title, (engines) => body(engines, new LocalKafkaCluster()));
}
