import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { SqlDialect } from './sql-dialect';

export interface SqlResult<Row> {
  rows: Row[];
  /** Rows changed by an UPDATE, INSERT or DELETE. */
  affected: number;
  /** The generated id of a single-row INSERT. */
  insertId?: number;
}

/**
 * Plain statements for the hot paths (order create/pay/cancel, balance changes, stock, catalogue
 * reads, the outbox), on the connection of the current transaction (or a pooled one outside).
 * TypeORM's query builder spends about 120 µs of CPU building each statement, twice what the
 * driver needs to run it (docs/benchmarks.md, order-pay). The one way to the database: used only
 * by repositories (`*.repository.ts`), which map rows through their entity's `Table`.
 * Parameters are positional `?`; each is bound as the engine stores it (`SqlDialect.bind`).
 */
@Injectable()
export class Sql {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly dialect: SqlDialect,
  ) {}

  async run<Row = Record<string, unknown>>(statement: string, params: unknown[] = []): Promise<SqlResult<Row>> {
    const manager = this.txHost.tx;
    const values = params.map((value) => this.dialect.bind(value));
    const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
    try {
      const result = await runner.query(statement, values, true);
      const raw = result.raw as number | { insertId?: number } | undefined;
      return {
        rows: (result.records ?? []) as Row[],
        affected: result.affected ?? 0,
        insertId: typeof raw === 'number' ? raw : raw?.insertId,
      };
    } finally {
      if (!manager.queryRunner) await runner.release();
    }
  }

  /** How many rows `from` holds: a table, with its WHERE when given (`outbox_events WHERE status = ?`). */
  async count(from: string, params: unknown[] = []): Promise<number> {
    const { rows } = await this.run<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${from}`, params);
    return Number(rows[0].n);
  }
}

/** A DATETIME column as read: a Date from MySQL, UTC text ("2026-11-24 08:30:00.123") from SQLite. */
export function dateOf(value: unknown): Date {
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`);
}

/** `?, ?, ?` for n values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}
