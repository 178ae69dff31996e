import type { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { ClsService } from 'nestjs-cls';
import { QueryFailedError } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { unavailableDependency } from '../http/dependency-errors';
import type { BackgroundPool } from './background-pool';
import { SqliteDialect } from './sql-dialect';
import { TransactionRunner } from './transaction-runner';

/** A runner whose every transaction attempt fails with `failure()` after running the work. */
function runnerFailingWith(failure: () => Error) {
  const attempts = jest.fn();
  const txHost = {
    isTransactionActive: () => false,
    tx: { queryRunner: undefined },
    withTransaction: async (_options: unknown, body: () => Promise<unknown>) => {
      attempts();
      await body();
      throw failure();
    },
  };
  const cls = { isActive: () => true, set: jest.fn(), run: (fn: () => unknown) => fn() };
  const runner = new TransactionRunner(
    txHost as unknown as TransactionHost<TransactionalAdapterTypeOrm>,
    cls as unknown as ClsService,
    new SqliteDialect(),
    { dataSource: undefined } as BackgroundPool,
    { db: { transactionTimeoutMs: 10_000 } } as AppConfig,
  );
  return { runner, attempts };
}

const lockError = (code: string) => new QueryFailedError('UPDATE …', [], Object.assign(new Error(code), { code }));

describe('TransactionRunner', () => {
  it('retries a deadlock, and answers a deadlock that outlasts every attempt as the database unavailable (503), not a 500', async () => {
    const { runner, attempts } = runnerFailingWith(() => lockError('ER_LOCK_DEADLOCK'));
    const outcome = runner.run(async () => 'paid');
    await expect(outcome).rejects.toMatchObject({ dependency: 'mysql', message: 'transaction hit ER_LOCK_DEADLOCK on all 4 attempts' });
    expect(unavailableDependency(await outcome.catch((error: unknown) => error))).toBe('mysql');
    expect(attempts).toHaveBeenCalledTimes(4);
  });

  it('surfaces any other failure at once, as it is', async () => {
    const duplicate = lockError('ER_DUP_ENTRY');
    const { runner, attempts } = runnerFailingWith(() => duplicate);
    await expect(runner.run(async () => 'paid')).rejects.toBe(duplicate);
    expect(attempts).toHaveBeenCalledTimes(1);
  });
});
