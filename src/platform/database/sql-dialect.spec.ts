import { QueryFailedError, type QueryRunner } from 'typeorm';
import { QueryRunnerAlreadyReleasedError } from 'typeorm/error/QueryRunnerAlreadyReleasedError';
import { MysqlDialect, SqliteDialect } from './sql-dialect';

describe('SqlDialect', () => {
  const at = new Date('2026-11-24T08:30:00.123Z');

  it('binds a Date as UTC text for SQLite, whatever the process time zone, and leaves other values alone', () => {
    const sqlite = new SqliteDialect();
    expect(sqlite.bind(at)).toBe('2026-11-24 08:30:00.123');
    expect([sqlite.bind(5), sqlite.bind('x'), sqlite.bind(null)]).toEqual([5, 'x', null]);
  });

  it('hands a Date to mysql2 as is (the pool converts with timezone Z)', () => {
    expect(new MysqlDialect().bind(at)).toBe(at);
  });

  it('claims rows with SKIP LOCKED and runs transactions concurrently only on MySQL', () => {
    expect(new MysqlDialect()).toMatchObject({ concurrentTransactions: true, claimRowsClause: ' FOR UPDATE SKIP LOCKED' });
    expect(new SqliteDialect()).toMatchObject({ concurrentTransactions: false, claimRowsClause: '', noGapLocks: {} });
  });

  describe("MysqlDialect.run, straight on the runner's mysql2 connection", () => {
    /** A runner whose connection answers every statement with `error` or `answer`. */
    function runnerAnswering(answer: unknown, error: Error | null = null, isReleased = false) {
      const calls: unknown[][] = [];
      const connection = {
        query: (sql: string, values: unknown[], callback: (e: Error | null, a: unknown) => void) => {
          calls.push([sql, values]);
          setImmediate(() => callback(error, answer));
        },
      };
      const runner = { isReleased, connect: () => Promise.resolve(connection) } as unknown as QueryRunner;
      return { runner, calls };
    }

    it('answers a SELECT with its rows and a write with its affected rows and generated id, as TypeORM did', async () => {
      const dialect = new MysqlDialect();
      const select = runnerAnswering([{ id: 1 }, { id: 2 }]);
      await expect(dialect.run(select.runner, 'SELECT id FROM t WHERE a = ?', [5])).resolves.toEqual({
        rows: [{ id: 1 }, { id: 2 }],
        affected: 0,
      });
      expect(select.calls).toEqual([['SELECT id FROM t WHERE a = ?', [5]]]);
      const insert = runnerAnswering({ affectedRows: 1, insertId: 42 });
      await expect(dialect.run(insert.runner, 'INSERT INTO t (a) VALUES (?)', [5])).resolves.toEqual({
        rows: [],
        affected: 1,
        insertId: 42,
      });
    });

    it('fails with the QueryFailedError the deadlock retry and unique-key checks read, and refuses a released runner', async () => {
      const dialect = new MysqlDialect();
      const deadlock = Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' });
      const failed = dialect.run(runnerAnswering(undefined, deadlock).runner, 'UPDATE t SET a = ?', [1]);
      await expect(failed).rejects.toBeInstanceOf(QueryFailedError);
      await expect(failed).rejects.toMatchObject({ driverError: deadlock, query: 'UPDATE t SET a = ?', parameters: [1] });
      await expect(dialect.run(runnerAnswering([], null, true).runner, 'SELECT 1', [])).rejects.toBeInstanceOf(
        QueryRunnerAlreadyReleasedError,
      );
    });
  });
});
