// Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): top functions by self time,
// and self time by package, to find a scenario's bottleneck.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}

const file = process.argv[2];
if (!file) {
  console.error('usage: node -r ts-node/register/transpile-only bench/tools/cpu-top.ts <file.cpuprofile> [top=30]');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
// Shares of busy time: idle samples (waiting for I/O) are left out.
const total = profile.nodes.filter((n) => n.callFrame.functionName !== '(idle)').reduce((n, node) => n + node.hitCount, 0);
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const node of profile.nodes.filter((n) => n.callFrame.functionName !== '(idle)')) {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, 'app/');
  byFunction.set(
    `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`,
    (byFunction.get(`${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`) ?? 0) + node.hitCount,
  );
  const pkg =
    /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
    (url.includes('/dist/') ? 'app' : url.startsWith('node:') ? 'node core' : functionName.startsWith('(') ? functionName : 'other');
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + node.hitCount);
}
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${name}`);
};
print('self time by package', byPackage);
print('self time by function', byFunction);
