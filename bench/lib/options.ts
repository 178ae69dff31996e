import { parseArgs } from 'node:util';

export interface BenchOptions {
  scenarios: string[];
  /** Measured seconds per load phase. */
  durationS: number;
  /** Overrides each scenario's default number of connections. */
  connections?: number;
  warmupS: number;
  /** Seconds-long run that only proves every scenario still works (CI). */
  smoke: boolean;
  /** Writes a V8 CPU profile of each app process and baseline server to bench/results/profiles/. */
  profile: boolean;
  /** Requests per second offered by every timed load at most (see offerAtMost); unset: as fast as answered. */
  rate?: number;
}

const USAGE = `usage: npm run bench -- [--scenario NAME[,NAME...]] [--duration S] [--connections C] [--warmup S] [--smoke] [--profile] [--rate R]`;

export function parseOptions(argv: string[], known: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true },
      duration: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      rate: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`${USAGE}\nscenarios: ${known.join(', ')}`);
    process.exit(0);
  }
  const scenarios = (values.scenario ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  for (const name of scenarios) if (!known.includes(name)) fail(`unknown scenario "${name}" (known: ${known.join(', ')})`);
  const smoke = values.smoke ?? false;
  return {
    scenarios: scenarios.length > 0 ? scenarios : known,
    durationS: positive('duration', values.duration, smoke ? 2 : 10),
    connections: values.connections === undefined ? undefined : positive('connections', values.connections, 0),
    warmupS: positive('warmup', values.warmup, smoke ? 0.5 : 3, true),
    smoke,
    profile: values.profile ?? false,
    rate: values.rate === undefined ? undefined : positive('rate', values.rate, 0),
  };
}

function positive(name: string, raw: string | undefined, fallback: number, zeroOk = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!zeroOk && value === 0)) fail(`--${name} must be a positive number, got "${raw}"`);
  return value;
}

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}
