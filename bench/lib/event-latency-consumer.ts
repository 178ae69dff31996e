import { type ChildProcess, fork } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { fixKafkajsRequestQueue } from '../../src/platform/kafka/kafkajs-request-queue-fix';

/** One consumed `order.completed`: ms from its occurredAt to consumption, and to the record's timestamp. */
export interface EventTiming {
  orderId: number;
  /** occurredAt → consumed. */
  total: number;
  /** occurredAt → the record's timestamp, which the relay's producer stamps when it sends. */
  toSend: number;
}

type Request = { type: 'count' } | { type: 'timings' };
type Reply = { type: 'ready' } | { type: 'count'; count: number } | { type: 'timings'; timings: EventTiming[] };

/**
 * A Kafka consumer of order events in its own process, timing each event on arrival. In the bench
 * process it would share an event loop with autocannon, which at 100 connections delays every
 * callback by milliseconds: that wait would be counted as the outbox's latency.
 */
export class EventLatencyConsumer {
  private constructor(private readonly child: ChildProcess) {}

  static async start(brokers: string, topic: string, groupId: string): Promise<EventLatencyConsumer> {
    const child = fork(__filename, ['--consume'], {
      env: { ...process.env, BENCH_LATENCY_BROKERS: brokers, BENCH_LATENCY_TOPIC: topic, BENCH_LATENCY_GROUP: groupId },
      execArgv: process.execArgv,
      stdio: 'inherit',
    });
    const consumer = new EventLatencyConsumer(child);
    await consumer.next('ready');
    return consumer;
  }

  /** Events consumed so far (the first of each order only). */
  async count(): Promise<number> {
    this.child.send({ type: 'count' } satisfies Request);
    return (await this.next('count')).count;
  }

  async timings(): Promise<EventTiming[]> {
    this.child.send({ type: 'timings' } satisfies Request);
    return (await this.next('timings')).timings;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  private next<T extends Reply['type']>(type: T): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: Reply) => {
        if (message.type !== type) return;
        this.child.off('exit', onExit);
        this.child.off('message', onMessage);
        resolve(message as Extract<Reply, { type: T }>);
      };
      const onExit = (code: number | null) => {
        this.child.off('message', onMessage);
        reject(new Error(`event latency consumer exited with ${code}`));
      };
      this.child.on('message', onMessage).once('exit', onExit);
    });
  }
}

async function consume(): Promise<void> {
  fixKafkajsRequestQueue(); // or it wakes every millisecond, a process's worth of CPU beside the app
  const kafka = new Kafka({
    clientId: 'bench-latency',
    brokers: process.env.BENCH_LATENCY_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: process.env.BENCH_LATENCY_GROUP!, maxWaitTimeInMs: 20 });
  const timings = new Map<number, EventTiming>();
  await consumer.connect();
  await consumer.subscribe({ topic: process.env.BENCH_LATENCY_TOPIC!, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    // A throwaway group that reads from the beginning: committing would only load the broker.
    autoCommit: false,
    eachMessage: async ({ message }) => {
      const consumedAt = Date.now();
      const value = JSON.parse(message.value!.toString()) as { orderId: number; occurredAt: string };
      const occurredAt = Date.parse(value.occurredAt);
      if (!timings.has(value.orderId))
        timings.set(value.orderId, {
          orderId: value.orderId,
          total: consumedAt - occurredAt,
          toSend: Number(message.timestamp) - occurredAt,
        });
    },
  });
  await joined;
  process.on('message', (request: Request) => {
    if (request.type === 'count') process.send!({ type: 'count', count: timings.size } satisfies Reply);
    else process.send!({ type: 'timings', timings: [...timings.values()] } satisfies Reply);
  });
  const stop = () => void consumer.disconnect().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  // The bench process ended without stopping this one (a crash): do not outlive it.
  process.once('disconnect', stop);
  process.send!({ type: 'ready' } satisfies Reply);
}

if (process.argv.includes('--consume'))
  consume().catch((error: Error) => {
    console.error(error);
    process.exit(1);
  });
