import { SingleBar } from 'cli-progress';
import { percentiles } from './load';

/** One attempt of one user, as the user saw it in the end (a queued request's decision included). */
export interface DropAnswer {
  userId: number;
  /** HTTP status of POST /coupons/{id}/issue. */
  status: number;
  /** ISSUED, or the refusal code (problem+json `code`, or the queued request's `reason`). */
  outcome: string;
  ms: number;
  requestId?: string;
}

export interface DropUser {
  id: number;
  token: string;
}

export interface DropOptions {
  concurrency: number;
  /** Share of users who press the button twice (a second attempt must never give a second copy). */
  repeat: number;
  progress: boolean;
  /** How long queued requests may stay PENDING before the drop gives up waiting (ms). */
  settleTimeoutMs?: number;
}

export interface DropResult {
  stock: number;
  answers: DropAnswer[];
  issued: number;
  refusals: Record<string, number>;
  /** Users holding more than one copy: must be 0. */
  duplicates: number;
  /** The coupon's own counter after the drop, and whether it agrees with the answers. */
  counter: number;
  consistent: boolean;
  latencyMs: ReturnType<typeof percentiles>;
  soldOutAfterS?: number;
  seconds: number;
  /** Copies issued over time, from polling GET /coupons/{id} every 100 ms. */
  timeline: Array<{ seconds: number; issued: number }>;
  pendingLeft: number;
}

/**
 * A first-come drop as users make it: every user POSTs once (some twice), `concurrency` at a time;
 * queued requests (202) are then polled until decided. The coupon is polled meanwhile for the timeline.
 */
export async function runDrop(url: string, couponId: number, users: DropUser[], options: DropOptions): Promise<DropResult> {
  const attempts = [...users, ...users.slice(0, Math.round(users.length * options.repeat))];
  shuffle(attempts);
  const started = Date.now();
  const timeline: DropResult['timeline'] = [];
  let soldOutAt: number | undefined;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const coupon = await getJson(`${url}/coupons/${couponId}`).catch(() => undefined);
      if (coupon) {
        timeline.push({ seconds: (Date.now() - started) / 1000, issued: coupon.issuedQuantity });
        if (coupon.remainingQuantity === 0 && soldOutAt === undefined) soldOutAt = Date.now();
      }
      await sleep(100);
    }
  })();

  const bar = options.progress
    ? new SingleBar({ format: 'drop |{bar}| {value}/{total} answers | issued {issued} | {rate} req/s', hideCursor: true })
    : undefined;
  bar?.start(attempts.length, 0, { issued: 0, rate: 0 });
  const answers: DropAnswer[] = [];
  let issuedSeen = 0;
  await pool(attempts, options.concurrency, async (user) => {
    const sent = performance.now();
    const answer = await fetch(`${url}/coupons/${couponId}/issue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}` },
    }).then(
      async (response) => {
        const body = (await response.json().catch(() => ({}))) as { code?: string; requestId?: string };
        const outcome = response.status === 201 ? 'ISSUED' : response.status === 202 ? 'PENDING' : (body.code ?? `HTTP ${response.status}`);
        return { userId: user.id, status: response.status, outcome, ms: performance.now() - sent, requestId: body.requestId };
      },
      (error: Error) => ({ userId: user.id, status: 0, outcome: `NETWORK_ERROR ${error.message}`, ms: performance.now() - sent }),
    );
    if (answer.outcome === 'ISSUED') issuedSeen++;
    answers.push(answer);
    bar?.update(answers.length, { issued: issuedSeen, rate: Math.round(answers.length / ((Date.now() - started) / 1000)) });
  });
  bar?.stop();

  // queue strategy: follow each 202 to its decision, as a client polling Location would.
  const tokens = new Map(users.map((u) => [u.id, u.token]));
  const deadline = Date.now() + (options.settleTimeoutMs ?? 60_000);
  let pending = answers.filter((a) => a.outcome === 'PENDING');
  while (pending.length > 0 && Date.now() < deadline) {
    await pool(pending, options.concurrency, async (answer) => {
      const request = await getJson(`${url}/coupons/issue-requests/${answer.requestId}`, tokens.get(answer.userId)).catch(() => undefined);
      if (request && request.status !== 'PENDING') answer.outcome = request.status === 'ISSUED' ? 'ISSUED' : request.reason;
    });
    pending = pending.filter((a) => a.outcome === 'PENDING');
    if (pending.length > 0) await sleep(200);
  }
  // One more sample after everything settled, then stop the poller.
  await sleep(150);
  polling = false;
  await poller;
  const coupon = await getJson(`${url}/coupons/${couponId}`);

  const refusals: Record<string, number> = {};
  const copiesByUser = new Map<number, number>();
  for (const a of answers) {
    if (a.outcome === 'ISSUED') copiesByUser.set(a.userId, (copiesByUser.get(a.userId) ?? 0) + 1);
    else refusals[a.outcome] = (refusals[a.outcome] ?? 0) + 1;
  }
  const issued = [...copiesByUser.values()].reduce((n, c) => n + c, 0);
  return {
    stock: coupon.totalQuantity,
    answers,
    issued,
    refusals,
    duplicates: [...copiesByUser.values()].filter((c) => c > 1).length,
    counter: coupon.issuedQuantity,
    consistent: coupon.issuedQuantity === issued && issued <= coupon.totalQuantity,
    latencyMs: percentiles(answers.map((a) => a.ms)),
    soldOutAfterS: soldOutAt === undefined ? undefined : (soldOutAt - started) / 1000,
    seconds: (Date.now() - started) / 1000,
    timeline,
    pendingLeft: pending.length,
  };
}

async function getJson(url: string, token?: string): Promise<any> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.json();
}

/** Runs `work` over `items`, at most `concurrency` at a time. */
export async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
