import { Logger } from '@nestjs/common';
import type { ICustomPartitioner, Message, Producer, ProducerBatch, RecordMetadata, TopicMessages } from 'kafkajs';
import { DependencyUnavailableError } from '../http/dependency-errors';

/**
 * kafkajs 2.2.4 can resolve a send it never delivered (tulios/kafkajs#1303, open). A send groups
 * its messages by partition leader and keeps each leader's answer; when one leader refuses
 * (NOT_LEADER_FOR_PARTITION: its partition moved) while another acknowledged, the retry skips every
 * broker that has answered. If the refused partition moved to such a broker, its messages are never
 * sent again, and `sendBatch` resolves with the first answers. Seen with a three-node cluster whose
 * node stopped: the outbox marked an order's event SENT that no consumer ever read, and queued coupon
 * requests answered 202 stayed PENDING.
 *
 * The fix: the partitioner records the partition it chose for each message, and
 * {@link sendBatchDelivered} sends again the messages whose partition the acknowledgement lacks.
 */
const chosenPartition = new WeakMap<Message, number>();

/** Resends of the messages missing from an acknowledgement before the send fails as "Kafka unavailable". */
const RESENDS = 3;

const logger = new Logger('Kafka');

/** `createPartitioner` for a producer whose sends go through {@link sendBatchDelivered}: `create`'s choice, recorded. */
export function recordingPartitioner(create: ICustomPartitioner): ICustomPartitioner {
  return () => {
    const choose = create();
    return (args) => {
      const partition = choose(args);
      chosenPartition.set(args.message, partition);
      return partition;
    };
  };
}

/** `producer.sendBatch`, resolved only once every message's partition has acknowledged it. */
export async function sendBatchDelivered(producer: Producer, batch: ProducerBatch): Promise<RecordMetadata[]> {
  let unsent = batch.topicMessages ?? [];
  const acknowledged: RecordMetadata[] = [];
  for (let resend = 0; ; resend++) {
    const answer = await producer.sendBatch({ ...batch, topicMessages: unsent });
    acknowledged.push(...answer);
    unsent = missingFrom(answer, unsent);
    if (unsent.length === 0) return acknowledged;
    const count = unsent.reduce((sum, { messages }) => sum + messages.length, 0);
    if (resend === RESENDS) {
      throw new DependencyUnavailableError('kafka', `${count} message(s) still unacknowledged after ${RESENDS} resends`);
    }
    logger.warn(`kafkajs acknowledged a send without ${count} of its message(s) (a partition leader moved); sending them again`);
  }
}

/** The messages whose partition is not in `answer`, by topic. */
function missingFrom(answer: RecordMetadata[], sent: TopicMessages[]): TopicMessages[] {
  const acknowledged = new Set(answer.map(({ topicName, partition }) => `${partition}:${topicName}`));
  return sent
    .map(({ topic, messages }) => ({
      topic,
      messages: messages.filter((message) => {
        const partition = chosenPartition.get(message);
        if (partition === undefined) throw new Error('a message was sent without recordingPartitioner: its delivery cannot be checked');
        return !acknowledged.has(`${partition}:${topic}`);
      }),
    }))
    .filter(({ messages }) => messages.length > 0);
}
