/**
 * kafkajs 2.2.4, its last release, keeps a 1 ms timer re-arming on every broker connection for as
 * long as the connection lives. After each response its request queue schedules a check of the
 * pending requests even when none is pending and no throttle is on, at `throttledUntil - Date.now()`
 * ms: a negative number, which Node turns into 1 ms (Node 24 also prints a TimeoutNegativeWarning).
 * The check finds nothing and schedules the next one. Upstream: tulios/kafkajs#1751, fixes #1755 and
 * #1768 unmerged. One idle producer used 179 ms of CPU in 5 s, 13 ms with this fix.
 *
 * The fix, as proposed in #1768's review: schedule a check only while a request waits. A request
 * that must wait (in-flight limit or broker throttle) is pushed to `pending` and schedules its own
 * check, so nothing waiting is ever left without one.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module of kafkajs, not in its typings
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };

interface RequestQueueInternals {
  pending: unknown[];
  scheduleCheckPendingRequests(this: RequestQueueInternals): void;
}

const FIXED = Symbol.for('commerce.kafkajsRequestQueueFixed');

export function fixKafkajsRequestQueue(): void {
  const prototype = RequestQueue.prototype as RequestQueueInternals & { [FIXED]?: true };
  if (prototype[FIXED]) return;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the queue as `this`
  const schedule = prototype.scheduleCheckPendingRequests;
  if (typeof schedule !== 'function')
    throw new Error('kafkajs changed: RequestQueue.scheduleCheckPendingRequests is gone; review this fix');
  prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals) {
    if (this.pending.length === 0) return;
    schedule.call(this);
  };
  prototype[FIXED] = true;
}
