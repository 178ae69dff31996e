import { fork } from 'node:child_process';
import { join } from 'node:path';
import { createPool } from 'mysql2/promise';
import { freePort } from '../lib/app-under-test';
import { type BenchEnvironment, engines } from '../lib/bench-env';
import { type LoadResult, percentiles, round, runLoad } from '../lib/load';

export interface BaselineResult {
  name: 'hello' | 'hot-row';
  description: string;
  connections: number;
  /** Operations per second: requests (hello) or committed transactions (hot-row). */
  rate: number;
  latencyMs: LoadResult['latencyMs'];
  checks: Array<{ name: string; ok: boolean }>;
}

/** Bare Fastify hello world in its own process, loaded like the app. */
export async function helloWorld(connections: number, durationS: number, warmupS: number): Promise<BaselineResult> {
  const port = await freePort();
  const child = fork(join(__dirname, 'hello-server.ts'), [], {
    env: { ...process.env, PORT: String(port) },
    execArgv: process.execArgv,
    stdio: 'inherit',
  });
  try {
    await new Promise<void>((resolve, reject) =>
      child.once('message', () => resolve()).once('exit', (code) => reject(new Error(`hello server exited ${code}`))),
    );
    const url = `http://127.0.0.1:${port}`;
    if (warmupS > 0) await runLoad(url, { durationS: warmupS, connections });
    const load = await runLoad(url, { durationS, connections });
    return {
      name: 'hello',
      description: 'bare Fastify hello world (GET /, JSON)',
      connections,
      rate: load.rps,
      latencyMs: load.latencyMs,
      checks: [{ name: 'every response 200', ok: load.statuses['200'] === load.responses && load.errors === 0 }],
    };
  } finally {
    child.kill('SIGTERM');
  }
}

/**
 * The coupon hot-row transaction with nothing around it: `connections` concurrent workers on a
 * mysql2 pool the size of the app's, each looping BEGIN; conditional UPDATE of one row; INSERT of
 * a (coupon, user) row; COMMIT. This is what the database allows on this machine.
 */
export async function hotRowLoop(env: BenchEnvironment, connections: number, durationS: number, poolSize: number): Promise<BaselineResult> {
  const pool = createPool({ ...engines.db, database: env.database, connectionLimit: poolSize });
  try {
    await pool.query(
      'CREATE TABLE IF NOT EXISTS bench_hot_row (id INT PRIMARY KEY, issued INT NOT NULL, total INT NOT NULL) ENGINE=InnoDB',
    );
    await pool.query(
      `CREATE TABLE IF NOT EXISTS bench_hot_row_holders (id INT AUTO_INCREMENT PRIMARY KEY, coupon_id INT NOT NULL, user_id INT NOT NULL,
        issued_at DATETIME(3) NOT NULL, UNIQUE KEY uq_coupon_user (coupon_id, user_id)) ENGINE=InnoDB`,
    );
    await pool.query('DELETE FROM bench_hot_row_holders');
    await pool.query('REPLACE INTO bench_hot_row VALUES (1, 0, 100000000)');
    let nextUser = 1;
    let committed = 0;
    const latencies: number[] = [];
    const deadline = Date.now() + durationS * 1000;
    const worker = async () => {
      while (Date.now() < deadline) {
        const started = performance.now();
        const connection = await pool.getConnection();
        try {
          await connection.query('BEGIN');
          const [update] = await connection.query('UPDATE bench_hot_row SET issued = issued + 1 WHERE id = 1 AND issued < total');
          if ((update as { affectedRows: number }).affectedRows === 1) {
            await connection.query('INSERT INTO bench_hot_row_holders (coupon_id, user_id, issued_at) VALUES (1, ?, NOW(3))', [nextUser++]);
          }
          await connection.query('COMMIT');
          committed++;
        } finally {
          connection.release();
        }
        latencies.push(performance.now() - started);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: connections }, worker));
    const elapsedS = (performance.now() - started) / 1000;
    const [[row]] = (await pool.query(
      'SELECT issued, (SELECT COUNT(*) FROM bench_hot_row_holders) AS holders FROM bench_hot_row WHERE id = 1',
    )) as any;
    return {
      name: 'hot-row',
      description: `bare mysql2 hot-row coupon transaction (pool ${poolSize})`,
      connections,
      rate: round(committed / elapsedS),
      latencyMs: percentiles(latencies),
      checks: [{ name: 'issued = rows = commits', ok: Number(row.issued) === committed && Number(row.holders) === committed }],
    };
  } finally {
    await pool.end();
  }
}
