// `npm run fuzz -- --help`: property-based requests to every operation of docs/openapi.json, then the isolation sweep.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { type Caller, type Fixtures, type FuzzRequest, requestArbitrary } from './arbitraries';
import { type Contract, loadContract, type Operation } from './contract';
import { type Profile, queuedRequests, startTarget, type Target } from './target';

const USAGE = `npm run fuzz [-- options]
  --smoke              a few hundred cases (CI); the default is thousands
  --runs N             cases per (operation, caller); default 40, smoke 4
  --seed N             the base seed (printed by every run; a failure prints it with the request)
  --profile P          embedded (default) or full (needs the engines of npm run engines:up)
  --strategy S         coupon strategy: lock (default) or queue`;

interface Options {
  smoke: boolean;
  runs: number;
  seed: number;
  profile: Profile;
  strategy: 'lock' | 'queue';
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  if (argv.includes('--help')) {
    console.log(USAGE);
    process.exit(0);
  }
  const smoke = argv.includes('--smoke');
  const profile = (value('--profile') ?? 'embedded') as Profile;
  const strategy = (value('--strategy') ?? 'lock') as 'lock' | 'queue';
  if (!['embedded', 'full'].includes(profile) || !['lock', 'queue'].includes(strategy)) throw new Error(USAGE);
  return {
    smoke,
    runs: Number(value('--runs') ?? (smoke ? 4 : 40)),
    seed: Number(value('--seed') ?? randomBytes(4).readUInt32BE() >>> 1),
    profile,
    strategy,
  };
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
  body: unknown;
  retryAfter: string | null;
}

const REQUEST_TIMEOUT_MS = 15_000;

async function send(url: string, request: FuzzRequest): Promise<Answer> {
  const response = await fetch(`${url}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  }).catch((error: Error) => {
    throw new Error(error.name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS} ms (a hang)` : `no answer: ${error.message}`);
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  let body: unknown = text;
  if (contentType.includes('json') && text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = Symbol('unparseable JSON');
    }
  }
  const requestId = (body as { requestId?: unknown } | null)?.requestId;
  if (response.status === 202 && typeof requestId === 'string') queuedRequests.add(requestId);
  return { status: response.status, contentType, text, body, retryAfter: response.headers.get('retry-after') };
}

/** Short, pasteable form of a request for a failure report. */
function describe(request: FuzzRequest): string {
  const body =
    request.body === undefined
      ? ''
      : typeof request.body === 'string'
        ? ` body(${request.body.length} chars)=${JSON.stringify(request.body.length > 300 ? `${request.body.slice(0, 300)}…` : request.body)}`
        : ` body(bytes)=${Buffer.from(request.body).toString('hex')}`;
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([k, v]) => [
      k,
      k === 'authorization' ? `${v.slice(0, 14)}…` : v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v,
    ]),
  );
  return `${request.method} ${request.path.length > 300 ? `${request.path.slice(0, 300)}…` : request.path} headers=${JSON.stringify(headers)}${body}`;
}

/** The answer problems for one request: an empty list when the answer keeps the contract. */
function contractViolations(contract: Contract, operation: Operation, answer: Answer): string[] {
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`5xx: ${answer.status} ${answer.text.slice(0, 200)}`);
  if (!operation.statuses.has(answer.status)) problems.push(`status ${answer.status} is not declared for ${operation.key}`);
  if (answer.status >= 400 && !answer.contentType.startsWith('application/problem+json'))
    problems.push(`error ${answer.status} is ${answer.contentType || 'without content-type'}, not problem+json`);
  if (typeof answer.body === 'symbol') problems.push('body is not valid JSON');
  else if (operation.statuses.has(answer.status)) {
    const invalid = contract.validate(operation, answer.status, answer.contentType, answer.body);
    if (invalid) problems.push(`answer does not match the document (${answer.status}): ${invalid}; body ${answer.text.slice(0, 200)}`);
  }
  if (answer.status === 503 && !answer.retryAfter) problems.push('503 without Retry-After');
  return problems;
}

interface Tally {
  cases: number;
  byClass: Record<string, number>;
  byOperation: Record<string, number>;
  byCode: Record<string, number>;
  failures: string[];
  /** Probes that could not run because the world was not ready for them: each fails the run. */
  skipped: string[];
  /** Probes that do not apply to this run (the strategy has no such resource), listed. */
  notApplicable: string[];
  /** Generated cases fast-check dropped, or did not run, per (operation, caller). */
  droppedCases: string[];
}

/** One request, every check: the contract of the answer, and no state change when it is refused. */
async function checkedRequest(
  target: Target,
  contract: Contract,
  operation: Operation,
  request: FuzzRequest,
  tally: Tally,
): Promise<Answer> {
  const before = await target.snapshot();
  const answer = await send(target.url, request);
  tally.cases += 1;
  const statusClass = `${String(answer.status)[0]}xx`;
  tally.byClass[statusClass] = (tally.byClass[statusClass] ?? 0) + 1;
  tally.byOperation[operation.id] = (tally.byOperation[operation.id] ?? 0) + 1;
  const code = (answer.body as { code?: unknown } | null)?.code;
  if (answer.status >= 400) tally.byCode[`${answer.status} ${String(code)}`] = (tally.byCode[`${answer.status} ${String(code)}`] ?? 0) + 1;
  const problems = contractViolations(contract, operation, answer);
  if (answer.status >= 400) {
    const after = await target.snapshot();
    if (after !== before) problems.push(`refused with ${answer.status} but the state changed`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return answer;
}

async function json(target: Target, method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const answer = await send(target.url, { method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (answer.status >= 300) throw new Error(`fixture ${method} ${path}: ${answer.status} ${answer.text}`);
  return answer.body;
}

/** The user-scoped lists whose cursors the isolation sweep replays as the other user. */
const CURSOR_LISTS = ['/orders', '/points/history', '/users/me/coupons'];

interface Account {
  id: number;
  email: string;
  token: string;
}

async function account(target: Target, email: string): Promise<Account> {
  const password = randomBytes(12).toString('base64url'); // the run's throw-away users
  const user = await json(target, 'POST', '/auth/signup', { email, password, name: 'Fuzz' });
  const { accessToken } = await json(target, 'POST', '/auth/login', { email, password });
  return { id: user.id, email, token: accessToken };
}

interface World {
  admin: Account;
  user: Account;
  other: Account;
  fixtures: Fixtures;
  /** The other user's resources, for the isolation sweep. */
  others: { pendingOrder: number; paidOrder: number; userCoupon?: number; issueRequest?: string; cursors: Record<string, string> };
}

/** Products, coupons, orders and coupons in wallets for two users, so requests reach past "not found". */
async function buildWorld(target: Target, strategy: 'lock' | 'queue'): Promise<World> {
  const { accessToken: adminToken } = await json(target, 'POST', '/auth/login', target.admin);
  const me = await json(target, 'GET', '/users/me', undefined, adminToken);
  const admin = { id: me.id, email: target.admin.email, token: adminToken };
  const user = await account(target, 'fuzz-user@example.com');
  const other = await account(target, 'fuzz-other@example.com');
  const products = [
    await json(target, 'POST', '/admin/products', { name: 'Beans', price: 12000, stock: 1000, category: 'coffee' }, admin.token),
    await json(target, 'POST', '/admin/products', { name: 'Rare', price: 5000, stock: 2, category: 'tea' }, admin.token),
    await json(target, 'POST', '/admin/products', { name: 'Stopped', price: 1000, stock: 10, category: 'tea' }, admin.token),
  ];
  await json(target, 'PATCH', `/admin/products/${products[2].id}`, { status: 'STOPPED' }, admin.token);
  const coupons = [
    await json(
      target,
      'POST',
      '/admin/coupons',
      { name: 'Fixed', discountType: 'FIXED', discountValue: 1000, totalQuantity: 1000, minOrderAmount: 0, validDays: 7 },
      admin.token,
    ),
    await json(
      target,
      'POST',
      '/admin/coupons',
      {
        name: 'Few',
        discountType: 'PERCENT',
        discountValue: 10,
        totalQuantity: 2,
        minOrderAmount: 10000,
        maxDiscountAmount: 5000,
        validDays: 1,
      },
      admin.token,
    ),
  ];
  // A second copy per wallet, so a wallet read with limit=1 has a next page (a cursor to probe with).
  const spare = await json(
    target,
    'POST',
    '/admin/coupons',
    { name: 'Spare', discountType: 'FIXED', discountValue: 500, totalQuantity: 1000, minOrderAmount: 0, validDays: 7 },
    admin.token,
  );
  const orders: number[] = [];
  const userCoupons: number[] = [];
  const issueRequests: string[] = [];
  const others: Partial<World['others']> = { cursors: {} };
  for (const who of [user, other]) {
    await json(target, 'POST', '/points/charge', { amount: 500000 }, who.token);
    const paid = await json(target, 'POST', '/orders', { items: [{ productId: products[0].id, quantity: 1 }] }, who.token);
    await json(target, 'POST', `/orders/${paid.id}/pay`, undefined, who.token);
    await json(target, 'POST', '/orders', { items: [{ productId: products[0].id, quantity: 2 }] }, who.token);
    const pending = await json(target, 'POST', '/orders', { items: [{ productId: products[0].id, quantity: 1 }] }, who.token);
    orders.push(paid.id, pending.id);
    const issued = await json(target, 'POST', `/coupons/${coupons[0].id}/issue`, undefined, who.token);
    const second = await json(target, 'POST', `/coupons/${spare.id}/issue`, undefined, who.token);
    if (second.userCouponId) userCoupons.push(second.userCouponId);
    if (issued.requestId) issueRequests.push(issued.requestId);
    if (issued.userCouponId) userCoupons.push(issued.userCouponId);
    if (who === other)
      Object.assign(others, {
        pendingOrder: pending.id,
        paidOrder: paid.id,
        userCoupon: issued.userCouponId,
        issueRequest: issued.requestId,
      });
  }
  if (strategy === 'queue') {
    // The consumer turns requests into copies; wait (bounded) until both wallets hold their two
    // (what is still missing then is reported as skipped probes, never dropped quietly).
    for (let i = 0; i < 100 && userCoupons.length < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      userCoupons.length = 0;
      for (const who of [user, other]) {
        const page = await json(target, 'GET', '/users/me/coupons', undefined, who.token);
        userCoupons.push(...page.items.map((c: { userCouponId: number }) => c.userCouponId));
        if (who === other) others.userCoupon = page.items[0]?.userCouponId;
      }
    }
  }
  const cursors: string[] = [];
  for (const who of [user, other]) {
    for (const list of CURSOR_LISTS) {
      await json(target, 'POST', '/points/charge', { amount: 1000 }, who.token);
      const page = await json(target, 'GET', `${list}?limit=1`, undefined, who.token);
      if (page.nextCursor) {
        cursors.push(page.nextCursor);
        if (who === other) others.cursors![list] = page.nextCursor;
      }
    }
  }
  const productPage = await json(target, 'GET', '/products?limit=1');
  if (productPage.nextCursor) cursors.push(productPage.nextCursor);
  return {
    admin,
    user,
    other,
    fixtures: {
      productIds: products.map((p) => p.id),
      couponIds: coupons.map((c) => c.id),
      orderIds: orders,
      userCouponIds: userCoupons,
      issueRequestIds: issueRequests,
      cursors,
    },
    others: others as World['others'],
  };
}

function callers(world: World): Caller[] {
  // A token signed with another secret, and one with alg "none": both must be 401, never accepted.
  const forged = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(`{"sub":"${world.admin.id}","role":"admin"}`).toString('base64url')}.c2lnbmF0dXJl`;
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(`{"sub":"${world.admin.id}","role":"admin"}`).toString('base64url')}.`;
  return [
    {
      name: 'anonymous',
      authorization: [
        undefined,
        'Bearer',
        'Bearer not-a-token',
        `Bearer ${forged}`,
        `Bearer ${none}`,
        'Basic YWRtaW46YWRtaW4=',
        `bearer ${world.user.token}x`,
      ],
    },
    { name: 'user', authorization: [`Bearer ${world.user.token}`] },
    { name: 'admin', authorization: [`Bearer ${world.admin.token}`] },
  ];
}

/** Item 3 of the issue: another user's ids on every user-scoped operation, a user's token on every admin one. */
async function isolationSweep(target: Target, contract: Contract, world: World, strategy: 'lock' | 'queue', tally: Tally): Promise<void> {
  const op = (key: string) => contract.operations.find((o) => o.key === key)!;
  const asUser = { authorization: `Bearer ${world.user.token}` };
  const json = { ...asUser, 'content-type': 'application/json' };
  const { others } = world;
  const probes: Array<{ key: string; request: FuzzRequest; expect: number[] }> = [
    { key: 'GET /orders/{id}', request: { method: 'GET', path: `/orders/${others.paidOrder}`, headers: asUser }, expect: [404] },
    { key: 'GET /orders/{id}', request: { method: 'GET', path: `/orders/${others.pendingOrder}`, headers: asUser }, expect: [404] },
    {
      key: 'POST /orders/{id}/pay',
      request: { method: 'POST', path: `/orders/${others.pendingOrder}/pay`, headers: asUser },
      expect: [404],
    },
    {
      key: 'POST /orders/{id}/cancel',
      request: { method: 'POST', path: `/orders/${others.paidOrder}/cancel`, headers: asUser },
      expect: [404],
    },
    {
      key: 'POST /orders/{id}/cancel',
      request: { method: 'POST', path: `/orders/${others.pendingOrder}/cancel`, headers: { ...asUser, 'idempotency-key': 'iso-1' } },
      expect: [404],
    },
  ];
  const skip = (probe: string, why: string) => tally.skipped.push(`isolation: ${probe}: ${why}`);
  if (!others.userCoupon)
    skip("POST /orders with the other user's coupon copy", "the other user's wallet is empty (its queued request undecided)");
  else {
    probes.push({
      key: 'POST /orders',
      request: {
        method: 'POST',
        path: '/orders',
        headers: json,
        body: JSON.stringify({ items: [{ productId: world.fixtures.productIds[0], quantity: 1 }], userCouponId: others.userCoupon }),
      },
      expect: [404],
    });
  }
  if (strategy === 'lock')
    tally.notApplicable.push(
      "isolation: GET /coupons/issue-requests/{requestId} with the other user's request: the lock strategy issues at once, no request id",
    );
  else if (!others.issueRequest)
    skip("GET /coupons/issue-requests/{requestId} with the other user's request", 'its issue answered without a request id');
  else
    probes.push({
      key: 'GET /coupons/issue-requests/{requestId}',
      request: { method: 'GET', path: `/coupons/issue-requests/${others.issueRequest}`, headers: asUser },
      expect: [404],
    });
  for (const list of CURSOR_LISTS.filter((name) => !others.cursors[name]))
    skip(`GET ${list} with the other user's cursor`, "the other user's list has one page only (no cursor at limit=1)");
  for (const [list, cursor] of Object.entries(others.cursors)) {
    const key = `GET ${list}`;
    probes.push({
      key,
      request: { method: 'GET', path: `${list}?cursor=${encodeURIComponent(cursor)}`, headers: asUser },
      expect: [200, 400],
    });
  }
  for (const admin of contract.operations.filter((o) => o.admin)) {
    const path = admin.path.replace('{id}', String(world.fixtures.productIds[0]));
    const body =
      admin.method === 'GET'
        ? undefined
        : JSON.stringify(
            admin.path.includes('coupons')
              ? { name: 'x', discountType: 'FIXED', discountValue: 1, totalQuantity: 1, minOrderAmount: 0, validDays: 1 }
              : { name: 'x', price: 1, stock: 1, category: 'x' },
          );
    probes.push({ key: admin.key, request: { method: admin.method, path, headers: json, body }, expect: [403] });
    probes.push({
      key: admin.key,
      request: { method: admin.method, path, headers: { 'content-type': 'application/json' }, body },
      expect: [401],
    });
  }
  for (const probe of probes) {
    const where = `isolation: ${describe(probe.request)}`;
    try {
      const answer = await checkedRequest(target, contract, op(probe.key), probe.request, tally);
      if (!probe.expect.includes(answer.status)) throw new Error(`answered ${answer.status}, expected ${probe.expect.join(' or ')}`);
      const leaked = answer.text.includes(world.other.email) ? [world.other.email] : [];
      if (answer.status === 200) {
        // A list read with another user's cursor may only list the caller's own rows.
        const own = await send(target.url, { method: 'GET', path: `${probe.request.path.split('?')[0]}?limit=100`, headers: asUser });
        const ownRows = new Set((own.body as { items: unknown[] }).items.map((item) => JSON.stringify(item)));
        const foreign = (answer.body as { items: unknown[] }).items.filter((item) => !ownRows.has(JSON.stringify(item)));
        if (foreign.length > 0) leaked.push(`${foreign.length} rows that are not the caller's: ${JSON.stringify(foreign[0])}`);
      }
      if (leaked.length > 0) throw new Error(`leaked ${leaked.join(', ')}`);
    } catch (error) {
      tally.failures.push(`${where}\n    ${(error as Error).message}`);
    }
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  console.log(
    `fuzz: seed ${options.seed}, ${options.runs} cases per (operation, caller), ${options.profile} profile, ${options.strategy} strategy${options.smoke ? ' (smoke)' : ''}`,
  );
  const contract = loadContract();
  const target = await startTarget(options.profile, options.strategy);
  const tally: Tally = {
    cases: 0,
    byClass: {},
    byOperation: {},
    byCode: {},
    failures: [],
    skipped: [],
    notApplicable: [],
    droppedCases: [],
  };
  try {
    const world = await buildWorld(target, options.strategy);
    // First, while each user's lists still fit in one page for the comparison.
    await isolationSweep(target, contract, world, options.strategy, tally);
    let index = 0;
    for (const operation of contract.operations) {
      for (const caller of callers(world)) {
        const seed = (options.seed + index++) >>> 0;
        const property = fc.asyncProperty(requestArbitrary(contract, operation, caller, world.fixtures), async (request) => {
          try {
            await checkedRequest(target, contract, operation, request, tally);
          } catch (error) {
            throw new Error(`${(error as Error).message}\n    request: ${describe(request)}`, { cause: error });
          }
        });
        const result = await fc.check(property, { seed, numRuns: options.runs, endOnFailure: false, maxSkipsPerRun: 10 });
        // A case the generator dropped (a precondition it could not meet) is a request never sent.
        if (result.numSkips > 0 || (!result.failed && result.numRuns < options.runs))
          tally.droppedCases.push(
            `${operation.key} as ${caller.name}: ${result.numRuns} of ${options.runs} cases ran, ${result.numSkips} skipped`,
          );
        if (result.failed) {
          const error = result.errorInstance as Error | undefined;
          tally.failures.push(
            `${operation.key} as ${caller.name}: seed ${seed} path ${result.counterexamplePath} (rerun: npm run fuzz -- --seed ${options.seed} --runs ${options.runs} --profile ${options.profile} --strategy ${options.strategy})\n    ${error?.message ?? String(result.errorInstance)}`,
          );
        }
      }
    }
  } finally {
    await target.close();
  }
  // The app runs in this process: a `__proto__` or `constructor` key that got through would show here.
  const polluted = ['role', 'admin', 'isAdmin', 'x'].filter((key) => key in {});
  if (polluted.length > 0) tally.failures.push(`Object.prototype was polluted: ${polluted.join(', ')}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `\n${tally.cases} requests to ${Object.keys(tally.byOperation).length} operations in ${seconds} s; answers ${Object.entries(
      tally.byClass,
    )
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(
    `errors by code: ${Object.entries(tally.byCode)
      .sort()
      .map(([k, v]) => `${k} ×${v}`)
      .join(', ')}`,
  );
  if (target.notReady.length > 0)
    console.error(
      `\nWARNING: ${target.notReady.length} state snapshots were taken before the queue consumer had decided every accepted request (a refused request's "no change" check then compares a moving state):\n${target.notReady
        .slice(0, 5)
        .map((n) => `  - ${n}`)
        .join('\n')}`,
    );
  if (tally.notApplicable.length > 0)
    console.log(`\nnot applicable here (${tally.notApplicable.length}):\n${tally.notApplicable.map((n) => `  - ${n}`).join('\n')}`);
  // A probe that could not run is a check that did not happen: the run fails and says which.
  for (const skipped of tally.skipped) tally.failures.push(`SKIPPED (could not run) ${skipped}`);
  for (const dropped of tally.droppedCases) tally.failures.push(`SKIPPED cases: ${dropped}`);
  if (tally.failures.length > 0) {
    console.error(`\n${tally.failures.length} FAILED (base seed ${options.seed}):\n${tally.failures.map((f) => `  - ${f}`).join('\n')}`);
    return 1;
  }
  console.log(`every check passed (base seed ${options.seed})`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
