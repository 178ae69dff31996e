/**
 * kafkajs 2.2.4 keeps a consumer group's coordinator for the life of the group member. When that
 * broker dies, heartbeats go on to it (`ConsumerGroup.coordinator`, found once at join) and so do
 * offset commits (`OffsetManager.getCoordinator` reconnects the same node), so every try fails
 * with ECONNREFUSED even after the cluster has moved the group to a live broker. The consumer
 * recovers only when its retries run out (about 30 s with this app's retry settings), crashes,
 * restarts 5 s later as a new member, and its group then waits out the old member's session
 * (KAFKA_SESSION_TIMEOUT_MS): over a minute without a decided coupon request or a consumed event.
 * Seen in the three-node cluster test when the killed node was the group's coordinator.
 *
 * The fix, as Kafka's own clients do it: a coordinator that is not connected is found again from
 * the cluster (FindCoordinator) before a heartbeat or a commit. Once the controller has fenced the
 * dead broker, that is the live broker the group moved to, which loaded the group from
 * `__consumer_offsets`: the member goes on heartbeating with its id and generation, no rebalance.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- internal modules of kafkajs, not in its typings
const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup') as { prototype: ConsumerGroupInternals };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
const OffsetManager = require('kafkajs/src/consumer/offsetManager') as { prototype: OffsetManagerInternals };

interface CoordinatorBroker {
  isConnected(): boolean;
}

interface Cluster {
  findGroupCoordinator(args: { groupId: string }): Promise<CoordinatorBroker>;
}

interface ConsumerGroupInternals {
  cluster: Cluster;
  groupId: string;
  coordinator: CoordinatorBroker | null;
  heartbeat(this: ConsumerGroupInternals, args: { interval: number }): Promise<void>;
}

interface OffsetManagerInternals {
  cluster: Cluster;
  groupId: string;
  coordinator: CoordinatorBroker;
  getCoordinator(this: OffsetManagerInternals): Promise<CoordinatorBroker>;
}

const FIXED = Symbol.for('commerce.kafkajsDeadCoordinatorFixed');

export function fixKafkajsDeadCoordinator(): void {
  const group = ConsumerGroup.prototype as ConsumerGroupInternals & { [FIXED]?: true };
  const offsets = OffsetManager.prototype;
  if (group[FIXED]) return;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the group as `this`
  const heartbeat = group.heartbeat;
  if (typeof heartbeat !== 'function' || typeof offsets.getCoordinator !== 'function')
    throw new Error('kafkajs changed: ConsumerGroup.heartbeat or OffsetManager.getCoordinator is gone; review this fix');
  group.heartbeat = async function (this: ConsumerGroupInternals, args) {
    if (this.coordinator && !this.coordinator.isConnected()) {
      this.coordinator = await this.cluster.findGroupCoordinator({ groupId: this.groupId });
    }
    return heartbeat.call(this, args);
  };
  offsets.getCoordinator = async function (this: OffsetManagerInternals) {
    if (!this.coordinator.isConnected()) {
      this.coordinator = await this.cluster.findGroupCoordinator({ groupId: this.groupId });
    }
    return this.coordinator;
  };
  group[FIXED] = true;
}
