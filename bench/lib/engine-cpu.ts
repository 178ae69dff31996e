import { readdirSync, readFileSync } from 'node:fs';
import { round } from './load';
import { processCpuMs } from '../../support/app-under-test';

export type Engine = 'mysql' | 'kafka' | 'redis';
export type EngineCpu = Partial<Record<Engine, number>>;

const ENGINE_NAMES: Record<Engine, string> = { mysql: 'MariaDB/MySQL', kafka: 'Kafka', redis: 'Redis' };

/** Which engine a process is, from its command line; undefined for everything else. */
function engineOf(cmdline: string): Engine | undefined {
  const program = cmdline.split('\0')[0] ?? '';
  if (/(^|\/)(mariadbd|mysqld)$/.test(program)) return 'mysql';
  if (/(^|\/)redis-server$/.test(program) || /^redis-server /.test(program)) return 'redis';
  if (/(^|\/)java$/.test(program) && cmdline.split('\0').includes('kafka.Kafka')) return 'kafka';
  return undefined;
}

/**
 * CPU ms used so far by each engine running on this machine (every broker, when a second one
 * runs), found by command line in /proc at each call (a broker may have been restarted). Empty
 * where the engines are elsewhere (containers of another host, BENCH_URL) or off Linux.
 */
export function engineCpuMs(): EngineCpu {
  if (process.platform !== 'linux') return {};
  const used: EngineCpu = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let engine: Engine | undefined;
    try {
      engine = engineOf(readFileSync(`/proc/${entry}/cmdline`, 'utf8'));
    } catch {
      continue; // gone meanwhile
    }
    const ms = engine ? processCpuMs(Number(entry)) : undefined;
    if (engine && ms !== undefined) used[engine] = (used[engine] ?? 0) + ms;
  }
  return used;
}

/** Each engine's CPU ms per operation between two readings. */
export function engineCpuPerOp(before: EngineCpu, after: EngineCpu, operations: number): EngineCpu {
  const perOp: EngineCpu = {};
  if (operations <= 0) return perOp;
  for (const engine of Object.keys(after) as Engine[]) {
    const start = before[engine];
    if (start !== undefined) perOp[engine] = round((after[engine]! - start) / operations, 3);
  }
  return perOp;
}

/** "MariaDB/MySQL 1.21, Kafka 0.4, Redis 0.05 ms", or undefined when no engine was found. */
export function describeEngineCpu(perOp: EngineCpu): string | undefined {
  const parts = (Object.keys(ENGINE_NAMES) as Engine[]).filter((e) => perOp[e] !== undefined).map((e) => `${ENGINE_NAMES[e]} ${perOp[e]}`);
  return parts.length > 0 ? `${parts.join(', ')} ms` : undefined;
}
