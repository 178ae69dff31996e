/**
 * kafkajs 2.2.4 leaves a connection open after a consumer that lived through a broker restart
 * disconnects. When a fetch finds its connection closed, the consumer group drops that broker from
 * the pool (`BrokerPool.removeBroker`) without disconnecting it, yet keeps it as its coordinator:
 * heartbeats, commits and, on `disconnect()`, the LeaveGroup request reconnect it. The pool's
 * `disconnect()` then closes only the brokers it still holds, so that socket stays open and keeps
 * the process alive.
 *
 * The fix: the pool remembers the brokers it removed and disconnects them with the others.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module of kafkajs, not in its typings
const BrokerPool = require('kafkajs/src/cluster/brokerPool') as { prototype: BrokerPoolInternals };

interface BrokerInternals {
  disconnect(): Promise<void>;
}

interface BrokerPoolInternals {
  brokers: Record<string, BrokerInternals>;
  seedBroker?: BrokerInternals;
  removeBroker(this: BrokerPoolInternals, destination: { host: string; port: number }): void;
  disconnect(this: BrokerPoolInternals): Promise<void>;
  [REMOVED]?: Set<BrokerInternals>;
}

const FIXED = Symbol.for('commerce.kafkajsRemovedBrokersFixed');
const REMOVED = Symbol('removed brokers');

export function fixKafkajsRemovedBrokers(): void {
  const prototype = BrokerPool.prototype as BrokerPoolInternals & { [FIXED]?: true };
  if (prototype[FIXED]) return;
  /* eslint-disable @typescript-eslint/unbound-method -- called below with the pool as `this` */
  const removeBroker = prototype.removeBroker;
  const disconnect = prototype.disconnect;
  /* eslint-enable @typescript-eslint/unbound-method */
  if (typeof removeBroker !== 'function' || typeof disconnect !== 'function')
    throw new Error('kafkajs changed: BrokerPool.removeBroker or disconnect is gone; review this fix');
  const held = (pool: BrokerPoolInternals) => new Set([...Object.values(pool.brokers), ...(pool.seedBroker ? [pool.seedBroker] : [])]);
  prototype.removeBroker = function (this: BrokerPoolInternals, destination) {
    const before = held(this);
    removeBroker.call(this, destination);
    const after = held(this);
    for (const broker of before) if (!after.has(broker)) (this[REMOVED] ??= new Set()).add(broker);
  };
  prototype.disconnect = async function (this: BrokerPoolInternals) {
    const removed = [...(this[REMOVED] ?? [])];
    this[REMOVED]?.clear();
    await disconnect.call(this);
    await Promise.all(removed.map((broker) => broker.disconnect()));
  };
  prototype[FIXED] = true;
}
