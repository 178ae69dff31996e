import { fixKafkajsRequestQueue } from './kafkajs-request-queue-fix';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the internal module the fix patches
const RequestQueue = require('kafkajs/src/network/requestQueue') as {
  new (options: object): Queue;
  prototype: Queue;
};

interface Queue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
}

const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const queue = () =>
  new RequestQueue({
    maxInFlightRequests: 5,
    requestTimeout: 10_000,
    enforceRequestTimeout: false,
    clientId: 'spec',
    broker: 'b:9092',
    logger,
  });

describe('fixKafkajsRequestQueue (kafkajs re-armed a 1 ms timer on every connection for ever)', () => {
  beforeAll(() => fixKafkajsRequestQueue());

  it('schedules no check while nothing is pending, so an idle connection has no timer', () => {
    const idle = queue();
    idle.scheduleCheckPendingRequests();
    expect(idle.throttleCheckTimeoutId).toBeNull();
    idle.destroy();
  });

  it('still schedules the check for a request that waits for a throttle to end', () => {
    const throttled = queue();
    throttled.throttledUntil = Date.now() + 60_000;
    throttled.pending.push({});
    throttled.scheduleCheckPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
    throttled.destroy();
  });

  it('is applied once however often it is called', () => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
    const patched = RequestQueue.prototype.scheduleCheckPendingRequests;
    fixKafkajsRequestQueue();
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared, never called
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).toBe(patched);
  });
});
