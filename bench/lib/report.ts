import { type BaselineResult } from '../baselines/baselines';
import { type Check, type Measurement } from '../scenarios/scenario';

export interface ScenarioReport {
  name: string;
  description: string;
  connections: number;
  measurements: Array<Measurement & { baselineRate?: number; ratio?: number; meetsTarget?: boolean }>;
  checks: Check[];
  error?: string;
  seconds?: number;
}

export function printSummary(reports: ScenarioReport[], baselines: BaselineResult[]): void {
  const rows: string[][] = [
    ['measurement', 'conns', 'value', 'p50 ms', 'p95 ms', 'p99 ms', 'non-2xx', 'app CPU ms/req', 'baseline', 'ratio', 'target', 'met'],
  ];
  for (const b of baselines) {
    // Its CPU per operation sits in the app's column: the same work without the app around it.
    rows.push([
      `baseline: ${b.name}`,
      String(b.connections),
      `${b.rate} ops/s`,
      ...latency(b.latencyMs),
      '',
      b.cpuMsPerOp === undefined ? '' : String(b.cpuMsPerOp),
      '',
      '',
      '',
      '',
    ]);
  }
  for (const r of reports) {
    for (const m of r.measurements) {
      const non2xx = m.load
        ? Object.entries(m.load.statuses)
            .filter(([s]) => !s.startsWith('2'))
            .reduce((n, [, c]) => n + c, 0)
        : undefined;
      rows.push([
        m.label,
        String(r.connections),
        m.notTimed === undefined ? `${m.value} ${m.unit}` : 'not timed',
        ...latency(m.load?.latencyMs ?? m.latencyMs),
        non2xx === undefined ? '' : String(non2xx),
        m.load?.appCpuMsPerResponse === undefined ? '' : String(m.load.appCpuMsPerResponse),
        comparedWith(m) ? `${comparedWith(m)} ${m.baselineRate}` : '',
        m.ratio === undefined ? '' : `${Math.round(m.ratio * 1000) / 10}%`,
        describeTarget(m),
        m.meetsTarget === undefined ? '' : m.meetsTarget ? 'yes' : 'NO',
      ]);
    }
    if (r.error) rows.push([`${r.name}: ERROR`, '', '', '', '', '', '', '', '', '', '', '']);
  }
  printTable('summary', rows);
  for (const m of reports.flatMap((r) => r.measurements)) {
    if (m.notTimed) console.log(`not timed: ${m.label}: ${m.notTimed}`);
    if (m.note) console.log(`note: ${m.label}: ${m.note}`);
  }
  printTargets(reports);
}

/** The target table: one row per measurement that has a target, with its verdict. */
function printTargets(reports: ScenarioReport[]): void {
  const rows = [['scenario', 'target', 'measured', 'met']];
  for (const m of reports.flatMap((r) => r.measurements).filter((m) => m.target)) {
    const p99 = m.load?.latencyMs.p99 ?? m.latencyMs?.p99;
    const measured = [
      m.notTimed !== undefined
        ? ''
        : m.ratio === undefined
          ? `${m.value} ${m.unit}`
          : `${Math.round(m.ratio * 1000) / 10}% of ${comparedWith(m)}`,
      m.target?.maxP99Ms !== undefined && p99 !== undefined ? `p99 ${p99} ms` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const verdict =
      m.notTimed !== undefined
        ? `not timed: ${m.notTimed}`
        : m.meetsTarget === undefined
          ? 'not judged (--rate)'
          : m.meetsTarget
            ? 'met'
            : 'MISSED';
    rows.push([m.label, describeTarget(m), measured, verdict]);
  }
  if (rows.length > 1) printTable('targets (ratios against the baseline or rate each names, measured in this run)', rows);
}

function printTable(title: string, rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  console.log(`\n${title}`);
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

function latency(l?: { p50: number; p95: number; p99: number }): string[] {
  return l ? [String(l.p50), String(l.p95), String(l.p99)] : ['', '', ''];
}

function describeTarget(m: Measurement): string {
  const t = m.target;
  if (!t) return '';
  return [
    t.minRatio !== undefined ? `>= ${t.minRatio * 100}% of ${comparedWith(m)}` : '',
    t.minValue !== undefined ? `>= ${t.minValue} ${m.unit}` : '',
    t.maxP99Ms !== undefined ? `p99 <= ${t.maxP99Ms} ms` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** What a measurement's ratio is against: a baseline, or a rate of the same scenario. */
function comparedWith(m: Measurement): string | undefined {
  return m.baseline ?? m.versus?.label;
}
