import type { Pool } from 'mysql2/promise';

/** The server's statement counters this bench reads (from every client: a run holds the engines to itself). */
const COUNTERS = [
  'Questions',
  'Com_select',
  'Com_insert',
  'Com_update',
  'Com_delete',
  'Com_begin',
  'Com_commit',
  'Com_rollback',
  'Com_set_option',
];

export type StatementCounts = Record<string, number>;

export async function statementCounts(pool: Pick<Pool, 'query'>): Promise<StatementCounts> {
  const [rows] = (await pool.query(`SHOW GLOBAL STATUS WHERE Variable_name IN (?)`, [COUNTERS])) as unknown as [
    Array<{ Variable_name: string; Value: string }>,
  ];
  return Object.fromEntries(rows.map((row) => [row.Variable_name, Number(row.Value)]));
}

/** Statements per operation between two readings, by kind: `13.8 (select 3, insert 3, …)`. */
export function statementMix(before: StatementCounts, after: StatementCounts, operations: number): { total: number; text: string } {
  const per = (name: string) => Math.round((((after[name] ?? 0) - (before[name] ?? 0)) / Math.max(operations, 1)) * 10) / 10;
  const kinds = COUNTERS.slice(1)
    .map((name) => [name.slice('Com_'.length), per(name)] as const)
    .filter(([, value]) => value > 0)
    .map(([kind, value]) => `${kind} ${value}`);
  const total = per('Questions');
  return { total, text: `${total} (${kinds.join(', ')})` };
}
