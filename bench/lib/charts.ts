import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Writes a Vega-Lite chart as SVG. Vega renders SVG in Node without a browser or canvas (text is
 * measured by estimate), so charts come from the same run as the numbers, with no extra tooling.
 */
export async function writeChart(file: string, spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile({ background: 'white', ...spec }).spec), { renderer: 'none' });
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, await view.toSVG());
    return file;
  } finally {
    view.finalize();
  }
}

/** At most `max` points, evenly picked, the last one kept: a timeline chart needs no more. */
export function thin<T>(points: T[], max = 300): T[] {
  if (points.length <= max) return points;
  const step = points.length / max;
  const picked = Array.from({ length: max - 1 }, (_, i) => points[Math.floor(i * step)]);
  return [...picked, points[points.length - 1]];
}

/** Cumulative copies issued over time, one line per series (e.g. per strategy). */
export function issuedOverTimeSpec(title: string, points: Array<{ series: string; seconds: number; issued: number }>): TopLevelSpec {
  return {
    title,
    width: 520,
    height: 260,
    data: { values: points },
    mark: { type: 'line', interpolate: 'step-after', point: false },
    encoding: {
      x: { field: 'seconds', type: 'quantitative', title: 'seconds since the first request' },
      y: { field: 'issued', type: 'quantitative', title: 'copies issued' },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 0 } },
    },
  };
}
