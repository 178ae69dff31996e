import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import type { IsolatedEnvironment } from './real-engines';

/** How many members of a consumer group (under the run's topic prefix) hold at least one partition. */
export async function membersWithPartitions(brokers: string, env: IsolatedEnvironment, group: string): Promise<number> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([`${env.env.KAFKA_TOPIC_PREFIX}${group}`]);
    return groups[0].members.filter((member) => {
      const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
      return Object.values(assignment?.assignment ?? {}).some((partitions) => partitions.length > 0);
    }).length;
  } finally {
    await admin.disconnect();
  }
}
