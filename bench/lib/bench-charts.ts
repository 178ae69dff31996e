import { join } from 'node:path';
import type { BaselineResult } from '../baselines/baselines';
import { thin, issuedOverTimeSpec, writeChart } from './charts';
import type { ScenarioReport } from './report';

interface BenchResults {
  runId: string;
  at: string;
  baselines: BaselineResult[];
  scenarios: ScenarioReport[];
}

/**
 * The run's charts, beside its JSON: throughput and p99 per measurement against the baseline
 * measured in the same run, copies issued over time in each exact-N drop, and the outbox
 * commit → consume latency distribution. Returns the files written.
 */
export async function writeBenchCharts(results: BenchResults, dir: string): Promise<string[]> {
  const measurements = results.scenarios.flatMap((s) => s.measurements.map((m) => ({ ...m, connections: s.connections })));
  const baselineOf = (name: string | undefined, connections: number) =>
    results.baselines.find((b) => b.name === name && b.connections === connections);
  const subtitle = `bench ${results.runId}, ${results.at.slice(0, 16).replace('T', ' ')} UTC`;
  const files: Array<Promise<string>> = [];

  const rates = measurements
    .filter((m) => m.unit.endsWith('/s') && m.notTimed === undefined)
    .flatMap((m) => [
      { measurement: m.label, series: m.rateOfBaseline ? `baseline: ${m.rateOfBaseline}` : 'app', value: m.value },
      ...(m.baselineRate === undefined
        ? []
        : [{ measurement: m.label, series: `baseline: ${m.baseline ?? m.versus?.label}`, value: m.baselineRate }]),
    ]);
  if (rates.length > 0)
    files.push(
      writeChart(
        join(dir, 'throughput.svg'),
        groupedBars(`Throughput per measurement vs its baseline (${subtitle})`, rates, 'per second (log scale)'),
      ),
    );

  const p99s = measurements
    .filter((m) => (m.load?.latencyMs ?? m.latencyMs) !== undefined)
    .flatMap((m) => {
      const baseline = baselineOf(m.baseline, m.connections);
      return [
        { measurement: m.label, series: 'app', value: (m.load?.latencyMs ?? m.latencyMs)!.p99 },
        ...(baseline ? [{ measurement: m.label, series: `baseline: ${baseline.name}`, value: baseline.latencyMs.p99 }] : []),
      ];
    });
  if (p99s.length > 0)
    files.push(
      writeChart(
        join(dir, 'p99.svg'),
        groupedBars(`p99 latency per measurement vs its baseline (${subtitle})`, p99s, 'p99 ms (log scale)'),
      ),
    );

  const drops = measurements.filter((m) => Array.isArray(m.extra?.issuedOverTime));
  if (drops.length > 0) {
    const points = drops.flatMap((m) => {
      const { strategy, stock, requests } = m.extra as { strategy: string; stock: number; requests: number };
      const series = `${strategy}: ${stock} copies, ${requests} users`;
      return thin(m.extra!.issuedOverTime as Array<[number, number]>).map(([seconds, issued]) => ({ series, seconds, issued }));
    });
    files.push(
      writeChart(join(dir, 'drop-issued-over-time.svg'), issuedOverTimeSpec(`Exact-N drop: copies issued over time (${subtitle})`, points)),
    );
  }

  const outbox = measurements.find((m) => Array.isArray(m.extra?.samplesMs));
  if (outbox) {
    const samples = outbox.extra!.samplesMs as number[];
    files.push(
      writeChart(join(dir, 'outbox-latency.svg'), {
        title: {
          text: `Outbox commit → Kafka consumer latency (${subtitle})`,
          subtitle: `${String(outbox.extra!.events)} events; p50 ${outbox.latencyMs?.p50} ms, p99 ${outbox.latencyMs?.p99} ms; ${samples.length} sampled`,
        },
        width: 520,
        height: 240,
        data: { values: samples.map((ms) => ({ ms })) },
        mark: 'bar',
        encoding: {
          x: { field: 'ms', type: 'quantitative', bin: { maxbins: 40 }, title: 'milliseconds from commit (occurredAt) to consumption' },
          y: { aggregate: 'count', type: 'quantitative', title: 'events' },
        },
      }),
    );
  }
  return Promise.all(files);
}

/**
 * One band per measurement, the app's bar above its baseline's (two slots, not one per baseline: with a
 * slot per series each band was mostly gaps), colour naming the baseline in a legend that is not cut.
 */
export function groupedBars(title: string, values: Array<{ measurement: string; series: string; value: number }>, axis: string) {
  // Log scale: the hello baseline is 10-100x most measurements, which would flatten them on a linear one.
  const positive = values.map((v) => v.value).filter((v) => v > 0);
  const [low, high] = [Math.floor(Math.log10(Math.min(...positive))), Math.ceil(Math.log10(Math.max(...positive) * 1.5))];
  const ticks = Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i));
  const scale = { type: 'log' as const, domain: [ticks[0], ticks.at(-1)!] };
  const x = { field: 'value', type: 'quantitative' as const, title: axis, scale, axis: { values: ticks, format: '~s' } };
  const y = { field: 'measurement', type: 'nominal' as const, title: null, sort: null, axis: { labelLimit: 0 } };
  return {
    title,
    width: 420,
    data: {
      values: values.map((v) => ({
        ...v,
        role: v.series === 'app' ? 'app' : 'baseline',
        from: ticks[0],
        label: v.value >= 100 ? Math.round(v.value).toLocaleString('en') : String(v.value),
      })),
    },
    encoding: { y, yOffset: { field: 'role', type: 'nominal' as const, sort: ['app', 'baseline'] } },
    layer: [
      {
        mark: { type: 'bar' as const },
        encoding: {
          x,
          x2: { field: 'from' },
          color: {
            field: 'series',
            type: 'nominal' as const,
            title: null,
            legend: { orient: 'bottom' as const, direction: 'vertical' as const, columns: 2, labelLimit: 0 },
          },
        },
      },
      {
        mark: { type: 'text' as const, align: 'left' as const, dx: 3, fontSize: 9 },
        encoding: { x: { field: 'value', type: 'quantitative' as const, scale }, text: { field: 'label' } },
      },
    ],
  };
}
