import autocannon from 'autocannon';

export interface LoadResult {
  connections: number;
  durationS: number;
  responses: number;
  rps: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Responses by HTTP status (and problem code when the bench asked for it). */
  statuses: Record<string, number>;
  /** Connection errors and timeouts (not HTTP error statuses). */
  errors: number;
  /** CPU time (user + system) the app process spent per response: steadier than req/s on a shared machine. */
  appCpuMsPerResponse?: number;
}

/** What the load is aimed at: a URL, or an app whose CPU time can be read. */
export type LoadTarget = string | { url: string; cpuMs(): number | undefined };

export type LoadOptions = Omit<autocannon.Options, 'url' | 'duration' | 'connections'> & {
  durationS: number;
  connections: number;
};

let offeredRate: number | undefined;

/**
 * `--rate`: every timed load (the app's and the baselines') offers at most this many requests per
 * second in all, so that CPU per request is compared at one rate: at full load a faster server also
 * batches more (Redis pipelines, Kafka sends) and pays less per request for it.
 */
export function offerAtMost(rate: number | undefined): void {
  offeredRate = rate;
}

/**
 * One autocannon run against `baseUrl`. Latencies come from every response (autocannon's own
 * summary has no p95), statuses are counted as they arrive.
 */
export async function runLoad(target: LoadTarget, options: LoadOptions): Promise<LoadResult> {
  const { durationS, connections, ...rest } = options;
  const baseUrl = typeof target === 'string' ? target : target.url;
  const cpuMs = () => (typeof target === 'string' ? undefined : target.cpuMs());
  const cpuBefore = cpuMs();
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = process.hrtime.bigint();
  let finish!: (result: autocannon.Result) => void;
  let fail!: (error: Error) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => ([finish, fail] = [resolve, reject]));
  const rate = offeredRate !== undefined && durationS > 0 ? { overallRate: offeredRate } : {};
  const instance = autocannon({ ...rest, ...rate, url: baseUrl, duration: durationS, connections, timeout: 30 }, (error, result) =>
    error ? fail(error) : finish(result),
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  });
  const result = await done;
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = cpuMs();
  return {
    connections,
    durationS: round(elapsedS),
    responses: latencies.length,
    rps: round(latencies.length / Math.min(elapsedS, durationS || elapsedS)),
    latencyMs: percentiles(latencies),
    statuses,
    errors: result.errors + result.timeouts,
    appCpuMsPerResponse:
      cpuBefore !== undefined && cpuAfter !== undefined && latencies.length > 0
        ? round((cpuAfter - cpuBefore) / latencies.length, 3)
        : undefined,
  };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function percentiles(values: number[]): { p50: number; p95: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round(sorted.at(-1) ?? 0) };
}
