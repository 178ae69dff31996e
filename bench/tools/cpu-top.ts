// Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): top functions by self time,
// and self time by package, to find a scenario's bottleneck.
// `--window S` keeps only the busiest S seconds (the load, not start-up and module loading).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { window: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, timeline: { type: 'boolean' } },
});
const [file, topArg] = positionals;
if (!file) {
  console.error(
    'usage: node -r ts-node/register/transpile-only bench/tools/cpu-top.ts <file.cpuprofile> [top=30] [--window S] [--from S] [--to S] [--timeline]',
  );
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const isIdle = (node: ProfileNode) => node.callFrame.functionName === '(idle)';

// Sample hits per node, from the sample list (so a time window can be cut out of it).
let samples = profile.samples.map((id, i) => ({ id, at: 0, i }));
let at = 0;
for (const sample of samples) sample.at = at += profile.timeDeltas[sample.i] ?? 0;
// --timeline: busy share per second, to tell a profile's load phases apart (a scenario may run two
// routes on one app); --from/--to (seconds since the profile started) then keep one of them.
if (values.timeline) {
  const perSecond: Array<{ busy: number; all: number }> = [];
  for (const sample of samples) {
    const slot = (perSecond[Math.floor(sample.at / 1e6)] ??= { busy: 0, all: 0 });
    slot.all++;
    if (!isIdle(byId.get(sample.id)!)) slot.busy++;
  }
  console.log(`busy % per second: ${perSecond.map((s, i) => `${i}:${s ? Math.round((100 * s.busy) / s.all) : 0}`).join(' ')}`);
}
if (values.from !== undefined || values.to !== undefined) {
  const from = Number(values.from ?? 0) * 1e6;
  const to = values.to === undefined ? Infinity : Number(values.to) * 1e6;
  samples = samples.filter((s) => s.at >= from && s.at < to);
  const busy = samples.filter((s) => !isIdle(byId.get(s.id)!)).length;
  console.log(
    `seconds ${values.from ?? 0}–${values.to ?? 'end'}: ${((100 * busy) / Math.max(1, samples.length)).toFixed(0)}% of samples busy`,
  );
}
if (values.window) {
  const windowUs = Number(values.window) * 1e6;
  let best = { start: 0, end: 0, busy: -1 };
  let start = 0;
  let busy = 0;
  for (let end = 0; end < samples.length; end++) {
    if (!isIdle(byId.get(samples[end].id)!)) busy++;
    while (samples[end].at - samples[start].at > windowUs) if (!isIdle(byId.get(samples[start++].id)!)) busy--;
    if (busy > best.busy) best = { start, end, busy };
  }
  samples = samples.slice(best.start, best.end + 1);
  const seconds = (samples.at(-1)!.at - samples[0].at) / 1e6;
  console.log(`busiest ${seconds.toFixed(1)} s: ${((100 * best.busy) / samples.length).toFixed(0)}% of samples busy`);
}
const hits = new Map<number, number>();
for (const { id } of samples) hits.set(id, (hits.get(id) ?? 0) + 1);

// Shares of busy time: idle samples (waiting for I/O) are left out.
const busyNodes = profile.nodes.filter((n) => !isIdle(n) && hits.has(n.id));
const total = busyNodes.reduce((n, node) => n + hits.get(node.id)!, 0);
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const node of busyNodes) {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, 'app/');
  const name = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + hits.get(node.id)!);
  const pkg =
    /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
    (url.includes('/dist/') ? 'app' : url.startsWith('node:') ? 'node core' : functionName.startsWith('(') ? functionName : 'other');
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits.get(node.id)!);
}
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, count] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}`);
};
print('self time by package', byPackage);
print('self time by function', byFunction);
