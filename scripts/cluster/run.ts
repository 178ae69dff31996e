/**
 * npm run cluster -- [--api K] [--workers M] [--proxy]
 *
 * Starts K `APP_ROLE=api` and M `APP_ROLE=worker` processes of the built app (full profile) against
 * the engines in the environment or `.env` (DB_*, REDIS_URL, KAFKA_BROKERS: one database, one Redis
 * key prefix, one topic prefix for all of them), optionally behind a local nginx, prints where each
 * answers, and stops them all on Ctrl-C or SIGTERM. Logs: bench/results/cluster/<name>.log.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from '../../support/cluster';

const ROOT = join(__dirname, '..', '..');

function count(flag: string, fallback: number): number {
  const at = process.argv.indexOf(flag);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 0 || value > 32) throw new Error(`${flag} takes a whole number from 0 to 32`);
  return value;
}

async function main(): Promise<void> {
  if (existsSync(join(ROOT, '.env'))) process.loadEnvFile(join(ROOT, '.env'));
  const api = count('--api', 2);
  const workers = count('--workers', 1);
  if (api === 0 && process.argv.includes('--proxy')) throw new Error('--proxy needs at least one api process');
  const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const logDir = join(ROOT, 'bench', 'results', 'cluster');
  console.log(`starting ${workers} worker(s) and ${api} api process(es); logs in ${logDir}`);
  const cluster = await Cluster.start({
    api,
    workers,
    env: { ...env, HOST: '127.0.0.1' },
    logDir,
    proxy: process.argv.includes('--proxy'),
  });
  for (const instance of [...cluster.workers, ...cluster.apis])
    console.log(`  ${instance.name.padEnd(10)} ${instance.url} (pid ${instance.pid})`);
  if (api > 0) console.log(`front door: ${cluster.url}  (Ctrl-C stops everything)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping (SIGTERM: workers finish their batch and leave their groups)');
  await cluster.stop();
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
