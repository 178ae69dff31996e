import { QueryFailedError } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import type { TransactionRunner } from '../database/transaction-runner';
import { DomainError } from '../errors/domain-error';
import type { IdempotencyKey } from './idempotency-key.entity';
import type { IdempotencyKeyRepository } from './idempotency-key.repository';
import { IdempotencyService } from './idempotency.service';
import type { IdempotentRequest } from './idempotent-request';

/** The key table as a map, with the primary key's refusal (the SQL itself is exercised by the e2e tests on both engines). */
class KeysInMemory {
  readonly rows = new Map<string, IdempotencyKey>();
  async insert(claim: IdempotencyKey): Promise<void> {
    if (this.rows.has(claim.key)) throw new QueryFailedError('INSERT', [], Object.assign(new Error('duplicate'), { code: 'ER_DUP_ENTRY' }));
    this.rows.set(claim.key, { ...claim });
  }
  async find(_userId: number, key: string) {
    return this.rows.get(key);
  }
  async complete(_userId: number, key: string, status: number, body: string) {
    Object.assign(this.rows.get(key)!, { state: 'DONE', responseStatus: status, responseBody: body });
  }
  async deleteUnanswered(_userId: number, key: string) {
    if (this.rows.get(key)?.state === 'IN_PROGRESS') this.rows.delete(key);
  }
  async deleteClaim(_userId: number, key: string, createdAt: Date) {
    if (this.rows.get(key)?.createdAt.getTime() === createdAt.getTime()) this.rows.delete(key);
  }
}

describe('IdempotencyService.once', () => {
  const keys = new KeysInMemory();
  const transactions = { run: <T>(work: () => Promise<T>) => work() } as unknown as TransactionRunner;
  const config = { idempotency: { retentionSeconds: 3600 }, retryAfter: { busySeconds: 1 } } as AppConfig;
  const service = new IdempotencyService(keys as unknown as IdempotencyKeyRepository, transactions, config);
  const request = (key: string, fingerprint = 'same'): IdempotentRequest => ({ userId: 1, key, fingerprint, status: 200 });

  it('without a key, runs the work and answers the status it stored with', async () => {
    expect(await service.once(undefined, (store) => store({ n: 1 }, 202))).toEqual({ replayed: false, status: 202, body: { n: 1 } });
    expect(keys.rows.size).toBe(0);
  });

  it("answers a repeated request with the first one's answer, without running the work again", async () => {
    const work = jest.fn((store: (body: { n: number }) => Promise<{ n: number }>) => store({ n: 2 }));
    expect(await service.once(request('a'), work)).toEqual({ replayed: false, status: 200, body: { n: 2 } });
    expect(await service.once(request('a'), work)).toEqual({ replayed: true, status: 200, body: { n: 2 } });
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('refuses the key for another request, and while its first request runs', async () => {
    await expect(service.once(request('a', 'other'), async () => 0)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    let finish!: () => void;
    const running = service.once(request('b'), () => new Promise<number>((resolve) => (finish = () => resolve(1))));
    await new Promise((resolve) => setImmediate(resolve));
    await expect(service.once(request('b'), async () => 2)).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    finish();
    expect((await running).body).toBe(1);
  });

  it('stores a refusal (4xx) with its status, and releases the key after a failure (5xx)', async () => {
    await expect(service.once(request('c'), () => Promise.reject(new DomainError('NOT_FOUND', 'gone')))).rejects.toThrow('gone');
    expect(await service.once(request('c'), async () => 0)).toMatchObject({
      replayed: true,
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
    await expect(service.once(request('d'), () => Promise.reject(new Error('bug')))).rejects.toThrow('bug');
    expect(await service.once(request('d'), (store) => store(4))).toEqual({ replayed: false, status: 200, body: 4 });
  });

  it('stores a result the work returned without storing it', async () => {
    await service.once(request('e'), async () => 5);
    expect(await service.once(request('e'), async () => 6)).toEqual({ replayed: true, status: 200, body: 5 });
  });

  it('releases the key after a server-side problem (500, 503), so a retry runs the work again', async () => {
    for (const [key, code] of [
      ['f', 'INTERNAL_ERROR'],
      ['g', 'SERVICE_UNAVAILABLE'],
    ] as const) {
      await expect(service.once(request(key), () => Promise.reject(new DomainError(code, 'away')))).rejects.toMatchObject({ code });
      expect(await service.once(request(key), (store) => store(7))).toEqual({ replayed: false, status: 200, body: 7 });
    }
  });
});

describe('IdempotencyService.once over time and against a failing table', () => {
  const config = { idempotency: { retentionSeconds: 3600 }, retryAfter: { busySeconds: 1 } } as AppConfig;
  const transactions = { run: <T>(work: () => Promise<T>) => work() } as unknown as TransactionRunner;
  const serviceOver = (keys: Partial<KeysInMemory>) =>
    new IdempotencyService(keys as unknown as IdempotencyKeyRepository, transactions, config);
  const request = (key: string): IdempotentRequest => ({ userId: 1, key, fingerprint: 'same', status: 200 });
  afterEach(() => jest.useRealTimers());

  it('replays an answer however long ago it was stored, until the key expires (then runs again)', async () => {
    const start = new Date('2026-12-07T12:00:00Z');
    jest.useFakeTimers({ now: start, doNotFake: ['setImmediate', 'nextTick'] });
    const service = serviceOver(new KeysInMemory());
    expect(await service.once(request('k'), (store) => store(1))).toMatchObject({ replayed: false, body: 1 });
    // Past the minute after which an unanswered claim counts as abandoned: an answered one is still replayed.
    jest.setSystemTime(start.getTime() + 10 * 60_000);
    expect(await service.once(request('k'), (store) => store(2))).toMatchObject({ replayed: true, body: 1 });
    jest.setSystemTime(start.getTime() + config.idempotency.retentionSeconds * 1000 - 1);
    expect(await service.once(request('k'), (store) => store(3))).toMatchObject({ replayed: true, body: 1 });
    jest.setSystemTime(start.getTime() + config.idempotency.retentionSeconds * 1000);
    expect(await service.once(request('k'), (store) => store(4))).toMatchObject({ replayed: false, body: 4 });
  });

  it('answers a claim that failed for another reason than the key being taken with that failure', async () => {
    const keys = new KeysInMemory();
    const lost = new QueryFailedError('INSERT', [], Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' }));
    const service = serviceOver({ ...keys, find: keys.find.bind(keys), insert: () => Promise.reject(lost) });
    await expect(service.once(request('l'), async () => 1)).rejects.toBe(lost);
  });

  it('gives up with IDEMPOTENCY_IN_PROGRESS when the key is taken and gone again on every try', async () => {
    const taken = () => new QueryFailedError('INSERT', [], Object.assign(new Error('duplicate'), { code: 'ER_DUP_ENTRY' }));
    const service = serviceOver({ insert: () => Promise.reject(taken()), find: async () => undefined });
    await expect(service.once(request('m'), async () => 1)).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
  });
});
