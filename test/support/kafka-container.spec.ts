/**
 * The testcontainers Kafka (kafka-container.ts) cannot start here without Docker; what it is built
 * from can be checked: the image, the settings and the health check against docker-compose.yml's
 * kafka service, the listeners against each other, and the scripts the container runs (with sh and
 * bash, on stand-in paths).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import images from './engine-images.json';
import {
  KAFKA_CONTROLLER_PORT,
  KAFKA_HOST_PORT,
  KAFKA_IMAGE,
  KAFKA_PLAINTEXT_PORT,
  KAFKA_READY_COMMAND,
  KAFKA_START_READY,
  KAFKA_START_SCRIPT,
  KAFKA_WAITING_LINE,
  kafkaAdvertisedListeners,
  kafkaEnvironment,
  kafkaStartScript,
  kafkaWaitCommand,
  shellQuote,
  startKafkaContainer,
} from './kafka-container';

// startKafkaContainer against a stand-in for testcontainers: what it asks Docker for, in which order.
const mockDocker = {
  builder: {} as Record<string, unknown[]>,
  steps: [] as string[],
  execExitCodes: [] as number[],
};
jest.mock('testcontainers', () => {
  const started = {
    getHostname: () => 'c0ffee',
    getHost: () => 'docker-host',
    getMappedPort: (port: number) => (port === 29092 ? 32771 : -1),
    copyContentToContainer: (contents: { content: string; target: string }[]) => {
      mockDocker.steps.push(...contents.map((c) => `copy ${c.target}: ${c.content}`));
      return Promise.resolve();
    },
    exec: (command: string[]) => {
      mockDocker.steps.push(`exec ${command.join(' ')}`);
      const exitCode = mockDocker.execExitCodes.shift() ?? 1;
      return Promise.resolve({ exitCode, output: exitCode === 0 ? '' : 'Connection refused' });
    },
    stop: () => {
      mockDocker.steps.push('stop');
      return Promise.resolve();
    },
  };
  class GenericContainer {
    constructor(image: string) {
      mockDocker.builder = { image: [image] };
      const proxy: GenericContainer = new Proxy(this, {
        get: (_target, name: string) =>
          name === 'start'
            ? () => {
                mockDocker.steps.push('start');
                return Promise.resolve(started);
              }
            : (...args: unknown[]) => {
                mockDocker.builder[name] = args;
                return proxy;
              },
      });
      return proxy;
    }
  }
  return { GenericContainer, Wait: { forLogMessage: (line: string) => ({ forLogMessage: line }) } };
});

const ROOT = join(__dirname, '..', '..');

interface ComposeService {
  image?: string;
  environment?: Record<string, string | number>;
  healthcheck?: { test?: string[] };
}

function composeKafka(): ComposeService {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  return compose.services.kafka;
}

/** name -> port of a listener list such as `PLAINTEXT://:9092,HOST://host:29092`. */
function listeners(value: string): Map<string, string> {
  return new Map(
    value.split(',').map((entry) => {
      const match = /^([A-Z_]+):\/\/([^,]*):(\d+)$/.exec(entry);
      if (!match) throw new Error(`not a listener: ${entry}`);
      return [match[1], match[3]];
    }),
  );
}

describe('testcontainers Kafka', () => {
  const env = kafkaEnvironment();

  it('is the image compose runs, of the version scripts/kafka runs', () => {
    expect(KAFKA_IMAGE).toBe(images.kafka);
    expect(composeKafka().image).toBe(KAFKA_IMAGE);
    const scriptsVersion = /^KAFKA_VERSION="\$\{KAFKA_VERSION:-([^}]+)\}"$/m.exec(
      readFileSync(join(ROOT, 'scripts/kafka/common.sh'), 'utf8'),
    );
    expect(KAFKA_IMAGE).toBe(`apache/kafka:${scriptsVersion?.[1]}`);
  });

  it('has every setting of the compose kafka service, the same but for the addresses that name compose hosts', () => {
    const composeEnv = Object.fromEntries(Object.entries(composeKafka().environment ?? {}).map(([key, value]) => [key, String(value)]));
    const addressed = ['KAFKA_ADVERTISED_LISTENERS', 'KAFKA_CONTROLLER_QUORUM_VOTERS'];
    const same = (source: Record<string, string>) => Object.fromEntries(Object.entries(source).filter(([key]) => !addressed.includes(key)));
    expect(same(env)).toEqual(same(composeEnv));
    // The quorum: the same node id and controller port, at its own address instead of the service name.
    expect(composeEnv.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${env.KAFKA_NODE_ID}@kafka:${KAFKA_CONTROLLER_PORT}`);
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${env.KAFKA_NODE_ID}@localhost:${KAFKA_CONTROLLER_PORT}`);
    // Advertised: the same listeners on the same container ports, at the addresses the test reaches.
    const advertised = listeners(kafkaAdvertisedListeners('c0ffee', 'localhost', 29092));
    expect(advertised).toEqual(listeners(composeEnv.KAFKA_ADVERTISED_LISTENERS));
  });

  it('listens on the ports it names, with a protocol for each listener, and advertises every client listener', () => {
    const listening = listeners(env.KAFKA_LISTENERS);
    expect(listening).toEqual(
      new Map([
        ['PLAINTEXT', String(KAFKA_PLAINTEXT_PORT)],
        ['CONTROLLER', String(KAFKA_CONTROLLER_PORT)],
        ['HOST', String(KAFKA_HOST_PORT)],
      ]),
    );
    const protocols = new Map(env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP.split(',').map((entry) => entry.split(':') as [string, string]));
    expect([...protocols.keys()].sort()).toEqual([...listening.keys()].sort());
    expect(listening.has(env.KAFKA_CONTROLLER_LISTENER_NAMES)).toBe(true);
    expect(env.KAFKA_INTER_BROKER_LISTENER_NAME).toBe('PLAINTEXT');

    const advertised = kafkaAdvertisedListeners('c0ffee', '127.0.0.1', 32771);
    expect(advertised).toBe('PLAINTEXT://c0ffee:9092,HOST://127.0.0.1:32771');
    // A controller is never advertised; every other listener is.
    expect([...listeners(advertised).keys()].sort()).toEqual([...listening.keys()].filter((name) => name !== 'CONTROLLER').sort());
  });

  it('waits as compose health-checks the service', () => {
    const test = composeKafka().healthcheck?.test ?? [];
    expect(test[0]).toBe('CMD-SHELL');
    expect(test[1]).toContain(KAFKA_READY_COMMAND.join(' '));
  });

  it('waits for the ready flag, then runs the start script, which exports the listeners and runs the image start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-container-spec-'));
    try {
      // The same scripts on stand-in paths: the image's start becomes a script printing what it got.
      const run = join(dir, 'run');
      const script = join(dir, 'start.sh');
      const ready = join(dir, 'start.ready');
      writeFileSync(run, '#!/bin/bash\necho "run: $KAFKA_ADVERTISED_LISTENERS"\n', { mode: 0o755 });
      const listenersValue = kafkaAdvertisedListeners("it's", 'localhost', 32771);
      writeFileSync(script, kafkaStartScript(listenersValue).replace('/etc/kafka/docker/run', run));
      const wait = kafkaWaitCommand().map((arg) => arg.replaceAll(KAFKA_START_READY, ready).replaceAll(KAFKA_START_SCRIPT, script));
      writeFileSync(ready, '');
      const output = execFileSync('sh', wait, { encoding: 'utf8', timeout: 10_000 });
      expect(output).toBe(`${KAFKA_WAITING_LINE}\nrun: ${listenersValue}\n`);

      // Without the flag it waits, having printed the line the container's first wait strategy looks for.
      rmSync(ready);
      let waited: { code?: string; stdout?: string } = {};
      try {
        execFileSync('sh', wait, { encoding: 'utf8', timeout: 1_000 });
      } catch (error) {
        waited = error as typeof waited;
      }
      expect(waited).toMatchObject({ code: 'ETIMEDOUT', stdout: `${KAFKA_WAITING_LINE}\n` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quotes for the shell', () => {
    expect(execFileSync('bash', ['-c', `printf %s ${shellQuote("a'b c$HOME")}`], { encoding: 'utf8' })).toBe("a'b c$HOME");
  });

  describe('startKafkaContainer', () => {
    beforeEach(() => {
      mockDocker.steps = [];
    });

    it('starts the image waiting, copies the script with the mapped port, then the flag, and returns once the broker answers', async () => {
      mockDocker.execExitCodes = [1, 0];
      await startKafkaContainer(10_000);
      expect(mockDocker.builder).toEqual({
        image: [KAFKA_IMAGE],
        withEnvironment: [kafkaEnvironment()],
        withExposedPorts: [KAFKA_HOST_PORT],
        withEntrypoint: [['sh']],
        withCommand: [kafkaWaitCommand()],
        withWaitStrategy: [{ forLogMessage: KAFKA_WAITING_LINE }],
        withStartupTimeout: [10_000],
      });
      const ready = `exec ${KAFKA_READY_COMMAND.join(' ')}`;
      expect(mockDocker.steps).toEqual([
        'start',
        `copy ${KAFKA_START_SCRIPT}: ${kafkaStartScript('PLAINTEXT://c0ffee:9092,HOST://docker-host:32771')}`,
        `copy ${KAFKA_START_READY}: `,
        ready,
        ready,
      ]);
    });

    it('stops the container and says why when the broker never answers', async () => {
      mockDocker.execExitCodes = [];
      await expect(startKafkaContainer(1_500)).rejects.toThrow(/did not answer within 1500 ms .*Connection refused/);
      expect(mockDocker.steps.at(-1)).toBe('stop');
    });
  });
});
