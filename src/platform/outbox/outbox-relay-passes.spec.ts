import { KafkaJSConnectionError } from 'kafkajs';
import type { AppConfig } from '../config/app-config';
import type { TransactionRunner } from '../database/transaction-runner';
import type { MessageBus, OutgoingMessage } from '../messaging/message-bus';
import { Metrics } from '../observability/metrics';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxRelay } from './outbox-relay';
import type { ClaimedEvent, OutboxRepository } from './outbox.repository';
import { OutboxSignal } from './outbox-signal';

/**
 * What one relay pass leaves in the outbox table, with the table and the bus as plain objects:
 * SENT rows for what the bus took, attempts and DEAD for a row refused on its own, nothing at all
 * (the transaction rolled back) when the broker is away.
 */
type Row = ClaimedEvent & { status: 'PENDING' | 'SENT' | 'DEAD'; lastError: string | null; sentAt: Date | null };

const MAX_ATTEMPTS = 3;
const POLL_MS = 1_000;
const RETENTION_S = 86_400;

function outboxOf(rows: Row[], concurrent: boolean) {
  let table = rows;
  const repository = {
    claimPending: async (limit: number) =>
      table
        .filter((row) => row.status === 'PENDING')
        .slice(0, limit)
        .map(({ status: _s, lastError: _e, sentAt: _t, ...claimed }) => claimed),
    markSent: async (ids: number[], at: Date) => {
      table = table.map((row) => (ids.includes(row.id) ? { ...row, status: 'SENT', sentAt: at } : row));
    },
    recordFailure: async (id: number, attempts: number, lastError: string, status: Row['status']) => {
      table = table.map((row) => (row.id === id ? { ...row, attempts, lastError, status } : row));
    },
    purgeSentBefore: async (before: Date) => {
      const kept = table.filter((row) => !(row.status === 'SENT' && row.sentAt && row.sentAt < before));
      const purged = table.length - kept.length;
      table = kept;
      return purged;
    },
    countPending: async () => table.filter((row) => row.status === 'PENDING').length,
    oldestPendingAt: async () => undefined,
  };
  // A transaction: its changes are kept when the work returns and undone when it throws.
  const transactions = {
    concurrent,
    run: async <T>(work: () => Promise<T>) => {
      const before = table;
      try {
        return await work();
      } catch (error) {
        table = before;
        throw error;
      }
    },
    runStatement: <T>(statement: () => Promise<T>) => statement(),
  };
  return { repository, transactions, rows: () => table, add: (more: Row) => void (table = [...table, more]) };
}

function row(id: number, key: string, attempts = 0): Row {
  return {
    id,
    eventId: `event-${id}`,
    eventType: 'order.completed',
    topic: 'orders',
    messageKey: key,
    payload: JSON.stringify({ id }),
    headers: JSON.stringify({ 'event-id': `event-${id}` }),
    attempts,
    status: 'PENDING',
    lastError: null,
    sentAt: null,
  };
}

function relayOver(rows: Row[], publish: (messages: OutgoingMessage[]) => Promise<void>, batchSize = 10, relayPasses = 1) {
  const outbox = outboxOf(rows, relayPasses > 1);
  const signal = new OutboxSignal();
  const metrics = new OutboxMetrics(new Metrics(), outbox.repository as unknown as OutboxRepository);
  const config = {
    role: 'all',
    outbox: { batchSize, pollIntervalMs: POLL_MS, retentionSeconds: RETENTION_S, maxAttempts: MAX_ATTEMPTS, relayPasses },
  } as AppConfig;
  const relay = new OutboxRelay(
    outbox.repository as unknown as OutboxRepository,
    outbox.transactions as unknown as TransactionRunner,
    { publish } as unknown as MessageBus,
    signal,
    metrics,
    config,
  );
  const counted = async () => ({
    published: (await metrics.published.get()).values[0]?.value ?? 0,
    failed: (await metrics.failed.get()).values[0]?.value ?? 0,
    dead: (await metrics.dead.get()).values[0]?.value ?? 0,
  });
  return { relay, rows: outbox.rows, add: outbox.add, signal, counted };
}

const states = (rows: Row[]) => rows.map((r) => [r.id, r.status, r.attempts]);

describe('OutboxRelay passes', () => {
  it('publishes a batch as the bus gets it (topic, key, payload, headers) and marks every row SENT', async () => {
    const published: OutgoingMessage[][] = [];
    const { relay, rows, counted } = relayOver([row(1, 'a'), row(2, 'b')], async (messages) => void published.push(messages));

    expect(await relay.relayOnce()).toBe(2);
    expect(published).toEqual([
      [
        { topic: 'orders', key: 'a', value: { id: 1 }, headers: { 'event-id': 'event-1' } },
        { topic: 'orders', key: 'b', value: { id: 2 }, headers: { 'event-id': 'event-2' } },
      ],
    ]);
    expect(states(rows())).toEqual([
      [1, 'SENT', 0],
      [2, 'SENT', 0],
    ]);
    expect(rows().every((r) => r.sentAt instanceof Date)).toBe(true);
    expect(await counted()).toEqual({ published: 2, failed: 0, dead: 0 });
    // Nothing left: the next pass claims nothing.
    expect(await relay.relayOnce()).toBe(0);
  });

  it('claims at most a batch per pass', async () => {
    const { relay, rows } = relayOver([row(1, 'a'), row(2, 'b'), row(3, 'c')], async () => undefined, 2);
    expect(await relay.relayOnce()).toBe(2);
    expect(rows().map((r) => r.status)).toEqual(['SENT', 'SENT', 'PENDING']);
  });

  it('leaves every row as it was when the broker is away (the pass fails and will back off)', async () => {
    const { relay, rows, counted } = relayOver([row(1, 'a'), row(2, 'b')], async () => {
      throw new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
    });
    await expect(relay.relayOnce()).rejects.toThrow('ECONNREFUSED');
    expect(states(rows())).toEqual([
      [1, 'PENDING', 0],
      [2, 'PENDING', 0],
    ]);
    expect(await counted()).toEqual({ published: 0, failed: 0, dead: 0 });
  });

  it('rolls back rows sent one by one when the broker goes away in the middle', async () => {
    let calls = 0;
    const { relay, rows } = relayOver([row(1, 'a'), row(2, 'b')], async () => {
      calls++;
      if (calls === 1) throw new Error('MESSAGE_TOO_LARGE');
      if (calls === 3) throw new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');
    });
    await expect(relay.relayOnce()).rejects.toThrow('ECONNREFUSED');
    expect(states(rows())).toEqual([
      [1, 'PENDING', 0],
      [2, 'PENDING', 0],
    ]);
  });

  it('sends the rest one by one when one row is refused; the refused row counts an attempt and holds back its key', async () => {
    const sent: string[] = [];
    const { relay, rows, counted } = relayOver([row(1, 'a'), row(2, 'bad'), row(3, 'bad'), row(4, 'c')], async (messages) => {
      if (messages.length > 1) throw new Error('one of them is too large');
      if (messages[0].value && (messages[0].value as { id: number }).id === 2) throw new Error('MESSAGE_TOO_LARGE');
      sent.push(messages[0].key);
    });

    expect(await relay.relayOnce()).toBe(4);
    // Row 3 shares row 2's key: publishing it first would break the key's order.
    expect(sent).toEqual(['a', 'c']);
    expect(states(rows())).toEqual([
      [1, 'SENT', 0],
      [2, 'PENDING', 1],
      [3, 'PENDING', 0],
      [4, 'SENT', 0],
    ]);
    expect(rows()[1].lastError).toBe('MESSAGE_TOO_LARGE');
    expect(await counted()).toEqual({ published: 2, failed: 1, dead: 0 });
  });

  it('gives a row up as DEAD on its last allowed attempt, and not before', async () => {
    const refuse = async () => {
      throw new Error('x'.repeat(3_000));
    };
    const { relay, rows, counted } = relayOver([row(1, 'a', MAX_ATTEMPTS - 2), row(2, 'b', MAX_ATTEMPTS - 1)], refuse);

    await relay.relayOnce();
    expect(states(rows())).toEqual([
      [1, 'PENDING', MAX_ATTEMPTS - 1],
      [2, 'DEAD', MAX_ATTEMPTS],
    ]);
    // The error is kept, cut to what the column holds.
    expect(rows()[1].lastError).toHaveLength(2_000);
    expect(await counted()).toEqual({ published: 0, failed: 2, dead: 1 });

    await relay.relayOnce();
    expect(states(rows())).toEqual([
      [1, 'DEAD', MAX_ATTEMPTS],
      [2, 'DEAD', MAX_ATTEMPTS],
    ]);
    expect(await counted()).toEqual({ published: 0, failed: 3, dead: 2 });
    expect(await relay.relayOnce()).toBe(0);
  });
});

/**
 * The background loop over time (fake clock): when a pass follows at once, when it waits for the
 * poll interval or a commit's signal, how long it backs off after failures, the purge schedule, and
 * that stop() ends it.
 */
describe('OutboxRelay loop', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-07T12:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  const pending = (rows: Row[]) => rows.filter((r) => r.status === 'PENDING').length;
  const outage = () => new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');

  it('runs full batches back to back, then waits for the poll interval or a commit', async () => {
    const publishes: number[] = [];
    const { relay, rows, add, signal } = relayOver(
      Array.from({ length: 25 }, (_, i) => row(i + 1, `k${i}`)),
      async (messages) => void publishes.push(messages.length),
      10,
    );
    relay.start();
    await jest.advanceTimersByTimeAsync(0);
    // Two full batches did not wait; the third (5 of 10) drained the table.
    expect(publishes).toEqual([10, 10, 5]);
    expect(pending(rows())).toBe(0);

    add(row(26, 'late'));
    await jest.advanceTimersByTimeAsync(POLL_MS - 1);
    expect(pending(rows())).toBe(1); // idle: waiting for the poll interval
    await jest.advanceTimersByTimeAsync(1);
    expect(pending(rows())).toBe(0);

    add(row(27, 'committed'));
    signal.notify(); // what a commit that recorded an event does
    await jest.advanceTimersByTimeAsync(0);
    expect(pending(rows())).toBe(0);
    await relay.stop();
  });

  it('backs off after failed passes, longer with each in a row, and from the start again after one succeeds', async () => {
    let brokerUp = false;
    const attempts: number[] = [];
    const { relay, rows, add } = relayOver([row(1, 'a')], async () => {
      attempts.push(Date.now());
      if (!brokerUp) throw outage();
    });
    jest.spyOn(Math, 'random').mockReturnValue(0); // the jitter's lowest wait: half the ceiling
    relay.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(attempts).toHaveLength(1);
    // Waits of 100, 200, 400 ms (half of 200·2ⁿ) between attempts.
    await jest.advanceTimersByTimeAsync(99);
    expect(attempts).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(attempts).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(199);
    expect(attempts).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(attempts).toHaveLength(3);
    brokerUp = true;
    await jest.advanceTimersByTimeAsync(400);
    expect(attempts).toHaveLength(4);
    expect(pending(rows())).toBe(0);

    // After a success the count starts again: the next failure waits 100 ms, not 800.
    brokerUp = false;
    add(row(2, 'b'));
    await jest.advanceTimersByTimeAsync(POLL_MS);
    expect(attempts).toHaveLength(5);
    await jest.advanceTimersByTimeAsync(100);
    expect(attempts).toHaveLength(6);
    jest.spyOn(Math, 'random').mockRestore();
    await relay.stop();
  });

  it('purges SENT rows past retention on its first pass and then every 10 minutes, not every pass', async () => {
    const { relay, rows, add, signal } = relayOver([], async () => undefined);
    const sentAgo = (id: number, seconds: number): Row => ({
      ...row(id, `old-${id}`),
      status: 'SENT',
      sentAt: new Date(Date.now() - seconds * 1000),
    });
    add(sentAgo(1, RETENTION_S + 1));
    add(sentAgo(2, RETENTION_S - 60)); // past retention a minute from now
    relay.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(rows().map((r) => r.id)).toEqual([2]);

    await jest.advanceTimersByTimeAsync(9 * 60_000); // passes keep running (poll interval), no purge yet
    add(row(3, 'new'));
    signal.notify();
    await jest.advanceTimersByTimeAsync(0);
    expect(rows().map((r) => r.id)).toEqual([2, 3]);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(rows().map((r) => r.id)).toEqual([3]);
    await relay.stop();
  });

  it('runs OUTBOX_RELAY_PASSES passes at once where transactions are concurrent, and only one loop per start', async () => {
    let inFlight = 0;
    let most = 0;
    let release!: () => void;
    const broker = new Promise<void>((resolve) => (release = resolve));
    const { relay } = relayOver(
      Array.from({ length: 30 }, (_, i) => row(i + 1, `k${i}`)),
      async () => {
        most = Math.max(most, ++inFlight);
        await broker;
        inFlight--;
      },
      1,
      3,
    );
    relay.start();
    relay.start(); // a second start is no second set of loops
    await jest.advanceTimersByTimeAsync(0);
    expect(most).toBe(3);
    release();
    await relay.stop();
  });

  it('stops: stop() resolves while a loop waits, and no pass runs after it', async () => {
    const passes: number[] = [];
    const { relay, add } = relayOver([], async () => void passes.push(Date.now()));
    relay.start();
    await jest.advanceTimersByTimeAsync(0);
    await relay.stop(); // would hang until the poll interval if the waiting loop were not woken
    add(row(1, 'after-stop'));
    await jest.advanceTimersByTimeAsync(10 * POLL_MS);
    expect(passes).toEqual([]);
  });
});
