#!/usr/bin/env node
/**
 * Proves the image starts, without a Docker engine: reads the Dockerfile's runtime stage, lays out
 * what it copies (dist, node_modules, package.json) in a root-owned copy of its WORKDIR, makes the
 * data directory the way its RUN line does (owned by the image user, here `nobody`), and runs its
 * exact CMD from there as that unprivileged user with its ENV. Checks /health/ready answers 200,
 * that the image's HEALTHCHECK command passes, that the SQLite file landed in the data directory,
 * and that SIGTERM ends it by the signal (exit status 143 in a shell). Then shows the check has
 * teeth: the same layout without the writable data directory fails with EACCES. With engines in the
 * environment (DB_HOST, REDIS_URL, KAFKA_BROKERS, as .ci/run exports them) the full profile starts
 * the same way, on a database and prefixes of its own that are removed afterwards.
 *
 *   npm run build && sudo node scripts/ci/image-start.js      (must run as root, to switch user)
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, chmodSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { basename, join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const UNPRIVILEGED = { uid: 65534, gid: 65534 }; // nobody:nogroup, standing in for the image's `node`

/** The last stage's instructions that matter at run time (line continuations joined). */
function runtimeStage(dockerfile) {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim());
  const stage = lines.slice(lines.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true));
  const stageOf = { env: {}, workdir: '/', user: 'root', volumes: [], cmd: undefined, healthcheck: undefined, copies: [], runs: [] };
  for (const line of stage) {
    const [, instruction, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    switch (instruction?.toUpperCase()) {
      case 'ENV':
        for (const [, key, value] of rest.matchAll(/(\w+)=("[^"]*"|\S+)/g)) stageOf.env[key] = value.replace(/^"|"$/g, '');
        break;
      case 'WORKDIR':
        stageOf.workdir = rest;
        break;
      case 'USER':
        stageOf.user = rest;
        break;
      case 'VOLUME':
        stageOf.volumes.push(...(rest.startsWith('[') ? JSON.parse(rest) : rest.split(/\s+/)));
        break;
      case 'CMD':
        stageOf.cmd = JSON.parse(rest);
        break;
      case 'HEALTHCHECK':
        stageOf.healthcheck = JSON.parse(/CMD\s+(\[.*\])$/.exec(rest)[1]);
        break;
      case 'COPY':
        stageOf.copies.push(rest.replace(/--\S+\s+/g, '').split(/\s+/));
        break;
      case 'RUN':
        stageOf.runs.push(rest);
        break;
    }
  }
  return stageOf;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A root-owned copy of the image's /app: hard links where possible, so it takes seconds. */
function layout(stage, withDataDir) {
  const base = mkdtempSync(join(tmpdir(), 'commerce-image-'));
  chmodSync(base, 0o755);
  const app = join(base, stage.workdir.replace(/^\//, ''));
  mkdirSync(app, { recursive: true });
  for (const [source] of stage.copies) {
    // `COPY --from=build /app/dist ./dist` and `COPY package.json ./`: the build stage's /app is this checkout.
    const path = source.replace(/^\/app\//, '');
    const copy = (flags) => spawnSync('cp', [flags, join(ROOT, path), join(app, basename(path))], { stdio: 'ignore' }).status === 0;
    // Hard links need one file system; a plain copy works anywhere.
    if (!copy('-al') && !copy('-a')) throw new Error(`cannot lay out ${source}`);
  }
  if (withDataDir) {
    // The Dockerfile's `RUN mkdir /app/data && chown node:node /app/data`, for the stand-in user.
    if (!stage.runs.some((run) => /mkdir \/app\/data && chown node:node \/app\/data/.test(run))) {
      throw new Error('the Dockerfile no longer makes /app/data for its user: update this check with it');
    }
    mkdirSync(join(app, 'data'));
    chownSync(join(app, 'data'), UNPRIVILEGED.uid, UNPRIVILEGED.gid);
  }
  return { base, app };
}

function start(stage, cwd, port, profileEnv = {}) {
  const env = { PATH: process.env.PATH, ...stage.env, PORT: String(port), LOG_LEVEL: 'warn', ...profileEnv };
  const child = spawn(stage.cmd[0] === 'node' ? process.execPath : stage.cmd[0], stage.cmd.slice(1), { cwd, env, ...UNPRIVILEGED });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => output };
}

async function waitReady(port, exited) {
  let done = false;
  void exited.then(() => (done = true));
  for (const deadline = Date.now() + 90_000; Date.now() < deadline && !done;) {
    const status = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

function check(condition, message, output) {
  if (condition) return console.log(`ok - ${message}`);
  if (output) console.error(output);
  throw new Error(`image start-up check failed: ${message}`);
}

/** Starts and stops the app, checking readiness and the exit by SIGTERM. */
async function startAndStop(stage, app, profile, profileEnv) {
  const port = await freePort();
  const started = start(stage, app, port, profileEnv);
  check(await waitReady(port, started.exited), `GET /health/ready answers 200 (${profile} profile, port ${port})`, started.output());
  started.child.kill('SIGTERM');
  const { code, signal } = await started.exited;
  check(
    signal === 'SIGTERM' && code === null,
    `SIGTERM ends the ${profile} profile by the signal, exit status 143 (got code ${code}, signal ${signal})`,
    started.output(),
  );
  return port;
}

/**
 * The full profile against the engines in the environment (.ci/run exports them), with its own
 * database, Redis key prefix and topic prefix, removed afterwards. Skipped without engines.
 */
async function fullProfile(stage) {
  const { DB_HOST, DB_PORT = '3306', DB_USER = 'commerce', DB_PASSWORD = '', REDIS_URL, KAFKA_BROKERS } = process.env;
  if (!DB_HOST || !REDIS_URL || !KAFKA_BROKERS) {
    console.log('skip - full profile: DB_HOST, REDIS_URL and KAFKA_BROKERS are not set');
    return;
  }
  const { createConnection } = require('mysql2/promise');
  const { default: Redis } = require('ioredis');
  const { Kafka, logLevel } = require('kafkajs');
  const id = randomBytes(3).toString('hex');
  const env = {
    APP_PROFILE: 'full',
    DB_HOST,
    DB_PORT,
    DB_USER,
    DB_PASSWORD,
    DB_NAME: `commerce_img_${id}`,
    REDIS_URL,
    REDIS_KEY_PREFIX: `img:${id}:`,
    KAFKA_BROKERS,
    KAFKA_TOPIC_PREFIX: `img.${id}.`,
    JWT_SECRET: randomBytes(32).toString('hex'),
  };
  const mysql = await createConnection({ host: DB_HOST, port: Number(DB_PORT), user: DB_USER, password: DB_PASSWORD });
  await mysql.query(`CREATE DATABASE \`${env.DB_NAME}\``);
  const full = layout(stage, true);
  try {
    await startAndStop(stage, full.app, 'full', env);
  } finally {
    rmSync(full.base, { recursive: true, force: true });
    await mysql.query(`DROP DATABASE IF EXISTS \`${env.DB_NAME}\``).finally(() => mysql.end());
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const keys = await redis.keys(`${env.REDIS_KEY_PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    const admin = new Kafka({ brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(env.KAFKA_TOPIC_PREFIX));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin.disconnect();
  }
}

async function main() {
  if (process.getuid() !== 0) throw new Error('run as root: the check switches to an unprivileged user');
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('build first: npm run build');
  const stage = runtimeStage(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  check(stage.user !== 'root' && stage.user !== '0', `the image runs as a non-root user (${stage.user})`);
  check(stage.volumes.includes('/app/data'), 'the data directory is a declared VOLUME');
  check(Array.isArray(stage.cmd) && Array.isArray(stage.healthcheck), 'CMD and HEALTHCHECK are exec form');
  console.log(
    `image command: ${JSON.stringify(stage.cmd)} in ${stage.workdir} as uid ${UNPRIVILEGED.uid}, env ${JSON.stringify(stage.env)}`,
  );

  const good = layout(stage, true);
  try {
    check(
      statSync(good.app).uid === 0 && (statSync(good.app).mode & 0o002) === 0,
      'the app directory is root-owned and not writable by the app',
    );
    const port = await freePort();
    const app = start(stage, good.app, port);
    check(await waitReady(port, app.exited), `GET /health/ready answers 200 (embedded profile, port ${port})`, app.output());
    const health = spawnSync(process.execPath, stage.healthcheck.slice(1), {
      env: { PATH: process.env.PATH, PORT: String(port) },
      ...UNPRIVILEGED,
    });
    check(health.status === 0, "the image's HEALTHCHECK command passes");
    const sqlite = join(good.app, 'data', 'dev.sqlite');
    check(existsSync(sqlite) && statSync(sqlite).uid === UNPRIVILEGED.uid, 'the SQLite file is in the data volume, owned by the app user');
    app.child.kill('SIGTERM');
    const { code, signal } = await app.exited;
    check(
      signal === 'SIGTERM' && code === null,
      `SIGTERM ends the embedded profile by the signal, exit status 143 (got code ${code}, signal ${signal})`,
      app.output(),
    );
  } finally {
    rmSync(good.base, { recursive: true, force: true });
  }

  const bad = layout(stage, false);
  try {
    const app = start(stage, bad.app, await freePort());
    const { code } = await app.exited;
    check(
      code === 1 && app.output().includes('EACCES'),
      'without the writable data directory it fails (exit 1, EACCES): the check has teeth',
      app.output(),
    );
  } finally {
    rmSync(bad.base, { recursive: true, force: true });
  }

  await fullProfile(stage);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
