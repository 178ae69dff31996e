/** Where a delivered message was published: in this process, or in another instance. */
export type BroadcastOrigin = 'local' | 'remote';

export type BroadcastListener = (message: string, origin: BroadcastOrigin) => void;

/**
 * Tells every instance of the app something small, such as "drop your copy of product 7". A
 * message reaches this process's listeners synchronously, inside `publish()` (so the instance that
 * made a change acts on it before it answers), and every other instance's listeners soon after
 * (full profile: Redis pub/sub). Delivery is at most once and nothing is stored: a message sent
 * while Redis or an instance is away is lost, so a listener bounds what a lost one costs (a TTL,
 * a poll). A message is one line of text.
 */
export abstract class Broadcast {
  abstract publish(channel: string, message: string): void;

  /** Resolves once the listener is in place (when Redis is away, it is subscribed as soon as Redis answers). */
  abstract subscribe(channel: string, listener: BroadcastListener): Promise<void>;
}
