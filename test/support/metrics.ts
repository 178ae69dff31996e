/**
 * One series of a Prometheus text exposition (GET /metrics), by its exact name and labels as the
 * app writes them (`outbox_dead_total`, `consumer_failures_total{group="top-sellers"}`); undefined
 * when the series is absent. Whole-line, so `outbox_dead_total 1` is never read from `... 10`, and
 * a renamed series fails the test instead of passing a `not.toMatch`.
 */
export function metricSample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
