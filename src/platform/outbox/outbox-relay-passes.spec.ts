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

function outboxOf(rows: Row[]) {
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
    purgeSentBefore: async () => 0,
    countPending: async () => table.filter((row) => row.status === 'PENDING').length,
    oldestPendingAt: async () => undefined,
  };
  // A transaction: its changes are kept when the work returns and undone when it throws.
  const transactions = {
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
  return { repository, transactions, rows: () => table };
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

function relayOver(rows: Row[], publish: (messages: OutgoingMessage[]) => Promise<void>, batchSize = 10) {
  const outbox = outboxOf(rows);
  const metrics = new OutboxMetrics(new Metrics(), outbox.repository as unknown as OutboxRepository);
  const config = {
    role: 'all',
    outbox: { batchSize, pollIntervalMs: 1_000, retentionSeconds: 86_400, maxAttempts: MAX_ATTEMPTS, relayPasses: 1 },
  } as AppConfig;
  const relay = new OutboxRelay(
    outbox.repository as unknown as OutboxRepository,
    outbox.transactions as unknown as TransactionRunner,
    { publish } as unknown as MessageBus,
    new OutboxSignal(),
    metrics,
    config,
  );
  const counted = async () => ({
    published: (await metrics.published.get()).values[0]?.value ?? 0,
    failed: (await metrics.failed.get()).values[0]?.value ?? 0,
    dead: (await metrics.dead.get()).values[0]?.value ?? 0,
  });
  return { relay, rows: outbox.rows, counted };
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
