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
    expect(new SqliteDialect()).toMatchObject({ concurrentTransactions: false, claimRowsClause: '' });
  });
});
