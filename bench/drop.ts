// `npm run drop -- --stock N --users M --strategy lock|queue`: a first-come coupon drop against a running app.
import { createSecretKey, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { JwtService } from '@nestjs/jwt';
import { SingleBar } from 'cli-progress';
import { RESULTS_DIR } from './lib/results-dir';
import { issuedOverTimeSpec, thin, writeChart } from './lib/charts';
import { type DropCaller } from '../support/coupon-drop';
import { inBatches } from '../support/in-batches';
import { runDrop } from './lib/drop';

const USAGE = `usage: npm run drop -- --stock N --users M --strategy lock|queue [--url URL] [--concurrency C] [--repeat 0.1]
  [--admin-email E --admin-password P] [--jwt-secret S] [--chart FILE]

Creates a coupon of N copies (issue window: now to +1 h), fires M users at it (C at a time; a share
--repeat of them press twice), follows queued requests to their decision, prints a report and
writes a chart of copies issued over time. The app's COUPON_ISSUE_STRATEGY decides the strategy;
--strategy says which one you expect, and the drop fails if the app answers otherwise.
Admin: the account the app was started with (its ADMIN_EMAIL/ADMIN_PASSWORD), from --admin-email
and --admin-password or DROP_ADMIN_EMAIL and DROP_ADMIN_PASSWORD (the environment keeps the password
out of the process list); there is no default.
Users: with --jwt-secret (or DROP_JWT_SECRET; the app's JWT_SECRET or its jwt-secret file) tokens are
signed for fresh user ids (fast); without it M users are signed up and logged in through the API
first (argon2: slow, but nothing to share; the app must allow M sign-ups from this address,
AUTH_RATE_LIMIT_SIGNUPS_PER_IP, 20 per window by default).
Defaults: --url DROP_URL or http://127.0.0.1:3000, --concurrency 200, --repeat 0.1.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.DROP_URL ?? 'http://127.0.0.1:3000' },
      stock: { type: 'string' },
      users: { type: 'string' },
      strategy: { type: 'string' },
      concurrency: { type: 'string', default: '200' },
      repeat: { type: 'string', default: '0.1' },
      'admin-email': { type: 'string', default: process.env.DROP_ADMIN_EMAIL },
      'admin-password': { type: 'string', default: process.env.DROP_ADMIN_PASSWORD },
      'jwt-secret': { type: 'string', default: process.env.DROP_JWT_SECRET },
      chart: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const stock = Number(values.stock);
  const userCount = Number(values.users);
  const concurrency = Number(values.concurrency);
  const repeat = Number(values.repeat);
  if (
    values.help ||
    !(stock >= 1) ||
    !(userCount >= 1) ||
    !['lock', 'queue'].includes(values.strategy ?? '') ||
    !(concurrency >= 1) ||
    !(repeat >= 0 && repeat <= 1)
  ) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const adminEmail = values['admin-email']?.trim();
  const adminPassword = values['admin-password'];
  if (!adminEmail || !adminPassword) {
    console.error(
      'npm run drop: admin credentials missing: pass --admin-email and --admin-password or set DROP_ADMIN_EMAIL and DROP_ADMIN_PASSWORD (the ADMIN_EMAIL/ADMIN_PASSWORD the app was started with)',
    );
    return 2;
  }
  const url = values.url.replace(/\/$/, '');
  const admin = await adminLogin(url, adminEmail, adminPassword);
  const startsAt = new Date();
  const coupon = await post(url, '/admin/coupons', admin, {
    name: `Drop ${startsAt.toISOString()}`,
    discountType: 'FIXED',
    discountValue: 1_000,
    totalQuantity: stock,
    minOrderAmount: 0,
    validDays: 7,
    issueStartsAt: new Date(startsAt.getTime() - 1_000).toISOString(),
    issueEndsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
  });
  console.log(
    `coupon ${coupon.id}: ${stock} copies; ${userCount} users, ${concurrency} at a time, ${Math.round(repeat * 100)}% press twice; ${url}`,
  );
  // Trimmed as the app trims its secret file (a `\r` or newline from a shell would sign bad tokens).
  const jwtSecret = values['jwt-secret']?.trim();
  const users = jwtSecret ? signedUsers(jwtSecret, userCount) : await signedUpUsers(url, userCount, concurrency);

  const result = await runDrop(url, coupon.id, users, { concurrency, repeat, progress: process.stderr.isTTY === true });
  const seen = result.answers.some((a) => a.status === 202) ? 'queue' : result.answers.some((a) => a.status === 201) ? 'lock' : undefined;
  const chart = values.chart ?? join(RESULTS_DIR, `drop-${coupon.id}-${values.strategy}.svg`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  await writeChart(
    chart,
    issuedOverTimeSpec(
      `Drop of ${stock}: ${userCount} users, ${values.strategy} strategy`,
      thin(result.timeline).map((p) => ({ series: values.strategy!, ...p })),
    ),
  );

  const refusals = Object.entries(result.refusals).sort(([, a], [, b]) => b - a);
  console.log(`
drop report (coupon ${coupon.id}, ${values.strategy} strategy)
  attempts        ${result.answers.length} (${userCount} users)
  issued          ${result.issued} of ${stock} (coupon counter ${result.counter})
  refusals        ${refusals.length ? refusals.map(([code, n]) => `${code} ${n}`).join(', ') : 'none'}
  duplicates      ${result.duplicates}
  issue latency   p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms
  sold out after  ${result.soldOutAfterS === undefined ? 'not sold out' : `${result.soldOutAfterS.toFixed(2)} s`}
  whole drop      ${result.seconds.toFixed(2)} s${result.pendingLeft ? `, ${result.pendingLeft} requests still PENDING` : ''}
  chart           ${chart}`);
  const problems = [
    result.duplicates > 0 && `${result.duplicates} users hold two copies`,
    !result.consistent && `answers say ${result.issued} issued, the coupon says ${result.counter} (stock ${stock})`,
    result.pendingLeft > 0 && `${result.pendingLeft} queued requests were not decided in time`,
    seen && seen !== values.strategy && `expected the ${values.strategy} strategy, the app answered as ${seen} (COUPON_ISSUE_STRATEGY)`,
  ].filter(Boolean);
  for (const problem of problems) console.error(`✗ ${problem}`);
  return problems.length > 0 ? 1 : 0;
}

function signedUsers(secret: string, count: number): DropCaller[] {
  // A KeyObject: with the string, jsonwebtoken tries a PEM parse on every sign (0.5 ms each).
  const jwt = new JwtService({ secret: createSecretKey(Buffer.from(secret)) });
  // Ids far above real ones: synthetic callers, as the bench uses.
  const base = 2_000_000_000 - count - Math.floor(Math.random() * 1_000_000) * 100;
  return Array.from({ length: count }, (_, i) => ({
    id: base + i,
    token: jwt.sign({ sub: String(base + i), role: 'user' }, { expiresIn: 3600 }),
  }));
}

async function signedUpUsers(url: string, count: number, concurrency: number): Promise<DropCaller[]> {
  const run = Date.now().toString(36);
  // One random password for this run's throw-away users.
  const randomPassword = randomBytes(12).toString('base64url');
  const bar = process.stderr.isTTY ? new SingleBar({ format: 'users |{bar}| {value}/{total} signed up and logged in' }) : undefined;
  bar?.start(count, 0);
  const users: DropCaller[] = [];
  await inBatches(
    Array.from({ length: count }, (_, i) => i),
    Math.min(concurrency, 16),
    async (i) => {
      const credentials = { email: `drop-${run}-${i}@example.com`, password: randomPassword };
      const profile = { ...credentials, name: `Drop user ${i}` };
      const user = await post(url, '/auth/signup', undefined, profile);
      users.push({ id: user.id, token: await login(url, credentials.email, credentials.password) });
      bar?.increment();
    },
  );
  bar?.stop();
  return users;
}

async function adminLogin(url: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (response.status === 401)
    throw new Error(
      `admin login as ${email} at ${url} refused (401): check DROP_ADMIN_EMAIL/DROP_ADMIN_PASSWORD against the app's ADMIN_EMAIL/ADMIN_PASSWORD`,
    );
  const text = await response.text();
  if (!response.ok) throw new Error(`admin login at ${url}: ${response.status} ${text}`);
  return (JSON.parse(text) as { accessToken: string }).accessToken;
}

async function login(url: string, email: string, password: string): Promise<string> {
  return (await post(url, '/auth/login', undefined, { email, password })).accessToken;
}

async function post(url: string, path: string, token: string | undefined, body: unknown): Promise<any> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
