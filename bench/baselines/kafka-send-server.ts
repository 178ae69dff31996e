// Baseline: bare Fastify answering 202 once kafkajs has the broker's ack for one message, with the
// app's producer settings (idempotent, 5 requests in flight, acks from all in-sync replicas) and
// one key, as one coupon's requests have. With the app's fix of kafkajs' request queue, so both
// run the same client. With BASELINE_COALESCE=1 it publishes as the app does: one send in flight,
// the requests that arrive meanwhile combined into the next (what the accept's p99 can be at best).
import Fastify from 'fastify';
import { Kafka, logLevel } from 'kafkajs';
import { fixKafkajsRequestQueue } from '../../src/platform/kafka/kafkajs-request-queue-fix';
import { CoalescedSend } from './coalesced-send';

fixKafkajsRequestQueue();
const kafka = new Kafka({ clientId: 'bench-baseline', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
const topic = process.env.BASELINE_TOPIC!;
const coalesced = process.env.BASELINE_COALESCE === '1' ? new CoalescedSend(producer, topic) : undefined;
let next = 0;

const app = Fastify({ logger: false });
app.post('/', async (_request, reply) => {
  const requestId = next++;
  const messages = [{ key: 'coupon-1', value: JSON.stringify({ requestId, couponId: 1, userId: requestId }) }];
  if (coalesced) await coalesced.publish(messages);
  else await producer.send({ topic, acks: -1, messages });
  return reply.code(202).send({ requestId, status: 'PENDING' });
});

async function start(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: Number(process.env.BASELINE_PARTITIONS ?? 12) }], waitForLeaders: true });
  await admin.disconnect();
  await producer.connect();
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
}

start().then(
  () => process.send?.('ready'),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
