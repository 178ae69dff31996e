import { SingleBar } from 'cli-progress';
import { type DropAnswer, type DropCaller, httpDropClient, issueAll, tallyDrop } from '../../support/coupon-drop';
import { percentiles } from './load';

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
export async function runDrop(url: string, couponId: number, users: DropCaller[], options: DropOptions): Promise<DropResult> {
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
  let issuedSeen = 0;
  const client = httpDropClient(url);
  const answers = await issueAll(
    couponId,
    attempts.map((caller) => ({ caller, client })),
    {
      concurrency: options.concurrency,
      settleTimeoutMs: options.settleTimeoutMs,
      onAnswer: (answer, answered) => {
        if (answer.outcome === 'ISSUED') issuedSeen++;
        bar?.update(answered, { issued: issuedSeen, rate: Math.round(answered / ((Date.now() - started) / 1000)) });
      },
    },
  );
  bar?.stop();
  // One more sample after everything settled, then stop the poller.
  await sleep(150);
  polling = false;
  await poller;
  const coupon = await getJson(`${url}/coupons/${couponId}`);

  const { issued, duplicates, refusals, pending } = tallyDrop(answers);
  return {
    stock: coupon.totalQuantity,
    answers,
    issued,
    refusals,
    duplicates,
    counter: coupon.issuedQuantity,
    consistent: coupon.issuedQuantity === issued && issued <= coupon.totalQuantity,
    latencyMs: percentiles(answers.map((a) => a.ms)),
    soldOutAfterS: soldOutAt === undefined ? undefined : (soldOutAt - started) / 1000,
    seconds: (Date.now() - started) / 1000,
    timeline,
    pendingLeft: pending,
  };
}

async function getJson(url: string): Promise<any> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.json();
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
