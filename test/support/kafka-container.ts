/**
 * Kafka for testcontainers: the apache/kafka image that docker-compose.yml runs, configured as its
 * `kafka` service (one KRaft node, broker and controller, the same listeners and settings).
 *
 * Why not @testcontainers/kafka: its KafkaContainer (11.x, and 12.x too) runs Confluent's image only
 * (it starts /etc/confluent/docker/run), so this is a GenericContainer. The broker must advertise
 * the host port Docker maps to its HOST listener, which is known only once the container runs: the
 * container first waits for a start script, which is copied in with that port, then a ready flag
 * (the way testcontainers' own Kafka modules do it; the flag keeps a half-copied script from being
 * run). The pieces below are plain functions so a unit spec can check them without Docker
 * (kafka-container.spec.ts compares them with docker-compose.yml).
 */
import type { StartedTestContainer } from 'testcontainers';
import images from './engine-images.json';

export const KAFKA_IMAGE = images.kafka;

/** Container ports, as in docker-compose.yml: PLAINTEXT inside, CONTROLLER for the quorum, HOST for clients outside. */
export const KAFKA_PLAINTEXT_PORT = 9092;
export const KAFKA_CONTROLLER_PORT = 9093;
export const KAFKA_HOST_PORT = 29092;

export const KAFKA_START_SCRIPT = '/tmp/commerce-kafka-start.sh';
export const KAFKA_START_READY = '/tmp/commerce-kafka-start.ready';
export const KAFKA_WAITING_LINE = 'commerce: waiting for the Kafka start script';

/** docker-compose.yml's health check of the kafka service: the broker answers on its PLAINTEXT listener. */
export const KAFKA_READY_COMMAND = [
  '/opt/kafka/bin/kafka-broker-api-versions.sh',
  '--bootstrap-server',
  `localhost:${KAFKA_PLAINTEXT_PORT}`,
];

/** The broker's settings (the image's /etc/kafka/docker/run turns KAFKA_* into server.properties), as compose's. */
export function kafkaEnvironment(): Record<string, string> {
  return {
    KAFKA_NODE_ID: '1',
    KAFKA_PROCESS_ROLES: 'broker,controller',
    KAFKA_LISTENERS: `PLAINTEXT://:${KAFKA_PLAINTEXT_PORT},CONTROLLER://:${KAFKA_CONTROLLER_PORT},HOST://:${KAFKA_HOST_PORT}`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,HOST:PLAINTEXT',
    KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
    KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
    // Compose names the service (1@kafka:9093); here the node votes for itself on its own loopback.
    KAFKA_CONTROLLER_QUORUM_VOTERS: `1@localhost:${KAFKA_CONTROLLER_PORT}`,
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
    KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
    KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    KAFKA_HEAP_OPTS: '-Xms256m -Xmx512m',
    KAFKA_LOG_DIRS: '/var/lib/kafka/data',
  };
}

/**
 * PLAINTEXT at the container's hostname (inter-broker traffic and the ready check, inside the
 * container), HOST at the address and mapped port the test process connects to.
 */
export function kafkaAdvertisedListeners(containerHostname: string, host: string, mappedHostPort: number): string {
  return `PLAINTEXT://${containerHostname}:${KAFKA_PLAINTEXT_PORT},HOST://${host}:${mappedHostPort}`;
}

/** The container's command until the start script is there (its entrypoint is `sh`). */
export function kafkaWaitCommand(): string[] {
  return ['-c', `echo '${KAFKA_WAITING_LINE}'; while [ ! -f ${KAFKA_START_READY} ]; do sleep 0.1; done; exec bash ${KAFKA_START_SCRIPT}`];
}

/** Run by bash (not executed as a file): the image's own start, with the advertised listeners added. */
export function kafkaStartScript(advertisedListeners: string): string {
  return `#!/bin/bash\nexport KAFKA_ADVERTISED_LISTENERS=${shellQuote(advertisedListeners)}\nexec /etc/kafka/docker/run\n`;
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Starts the broker; resolves once it answers as compose's health check asks. Bootstrap: `${getHost()}:${getMappedPort(KAFKA_HOST_PORT)}`. */
export async function startKafkaContainer(timeoutMs = 180_000): Promise<StartedTestContainer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withEnvironment(kafkaEnvironment())
    .withExposedPorts(KAFKA_HOST_PORT)
    .withEntrypoint(['sh'])
    .withCommand(kafkaWaitCommand())
    .withWaitStrategy(Wait.forLogMessage(KAFKA_WAITING_LINE))
    .withStartupTimeout(timeoutMs)
    .start();
  try {
    const listeners = kafkaAdvertisedListeners(container.getHostname(), container.getHost(), container.getMappedPort(KAFKA_HOST_PORT));
    await container.copyContentToContainer([{ content: kafkaStartScript(listeners), target: KAFKA_START_SCRIPT, mode: 0o644 }]);
    await container.copyContentToContainer([{ content: '', target: KAFKA_START_READY, mode: 0o644 }]);
    await untilReady(container, timeoutMs);
    return container;
  } catch (error) {
    await container.stop().catch(() => undefined);
    throw error;
  }
}

async function untilReady(container: StartedTestContainer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const result = await container.exec(KAFKA_READY_COMMAND);
    if (result.exitCode === 0) return;
    last = result.output.trim().split('\n').slice(-3).join('\n');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  throw new Error(
    `${KAFKA_IMAGE} did not answer within ${timeoutMs} ms (${KAFKA_READY_COMMAND.join(' ')}): ${last}; ` +
      'DEBUG=testcontainers:containers prints its log',
  );
}
