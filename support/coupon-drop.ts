import { inBatches } from './in-batches';

/** One user of a drop, with a signed access token. */
export interface DropCaller {
  id: number;
  token: string;
}

export interface DropReply {
  status: number;
  body: any;
}

/**
 * How a drop's requests reach one app: `POST /coupons/{id}/issue`, and `GET
 * /coupons/issue-requests/{requestId}` for a queued request. A client that cannot reach the app
 * throws, or answers status 0 with a `code` to count it as an outcome.
 */
export interface DropClient {
  issue(couponId: number, token: string): Promise<DropReply>;
  issueRequest(requestId: string, token: string): Promise<DropReply>;
}

/** One attempt of one user, as the user saw it in the end (a queued request's decision included). */
export interface DropAnswer {
  caller: DropCaller;
  /** Which client (app) took the attempt. */
  client: DropClient;
  /** HTTP status of the issue request (202 for a queued one, whatever its decision). */
  status: number;
  /** ISSUED, PENDING (queued and undecided when the drop stopped waiting), or the refusal code (problem+json `code`, or the queued request's `reason`). */
  outcome: string;
  /** The issued copy, when ISSUED. */
  userCouponId?: number;
  /** The issue request's own round trip. */
  ms: number;
  /** A queued request's id (202). */
  requestId?: string;
}

export interface IssueOptions {
  /** Issue requests in flight at once. */
  concurrency: number;
  /** Queued requests polled at once (default: `concurrency`). */
  pollConcurrency?: number;
  /** How long queued requests may stay PENDING before the drop stops waiting (ms). */
  settleTimeoutMs?: number;
  /** Called as each issue request is answered (before queued ones are decided). */
  onAnswer?: (answer: DropAnswer, answered: number) => void;
}

/**
 * The one coupon-drop driver of the tests, the bench and the monitoring check: sends every
 * attempt (`concurrency` at a time) through its client, then follows each queued request (202)
 * to its decision, as a client polling its Location would. The caller tallies and asserts.
 */
export async function issueAll(
  couponId: number,
  attempts: Array<{ caller: DropCaller; client: DropClient }>,
  options: IssueOptions,
): Promise<DropAnswer[]> {
  const answers: DropAnswer[] = [];
  await inBatches(attempts, options.concurrency, async ({ caller, client }) => {
    const sent = performance.now();
    const reply = await client.issue(couponId, caller.token);
    const answer: DropAnswer = { caller, client, status: reply.status, ms: performance.now() - sent, ...outcomeOf(reply) };
    answers.push(answer);
    options.onAnswer?.(answer, answers.length);
  });
  const deadline = Date.now() + (options.settleTimeoutMs ?? 60_000);
  let pending = answers.filter((a) => a.outcome === 'PENDING');
  while (pending.length > 0 && Date.now() < deadline) {
    await inBatches(pending, options.pollConcurrency ?? options.concurrency, async (answer) => {
      const request = await answer.client.issueRequest(answer.requestId!, answer.caller.token);
      if (request.status !== 200 || request.body.status === 'PENDING') return;
      answer.outcome = request.body.status === 'ISSUED' ? 'ISSUED' : request.body.reason;
      answer.userCouponId = request.body.userCouponId;
    });
    pending = pending.filter((a) => a.outcome === 'PENDING');
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return answers;
}

function outcomeOf(reply: DropReply): Pick<DropAnswer, 'outcome' | 'userCouponId' | 'requestId'> {
  if (reply.status === 201) return { outcome: 'ISSUED', userCouponId: reply.body.userCouponId };
  if (reply.status === 202) return { outcome: 'PENDING', requestId: reply.body.requestId };
  return { outcome: reply.body?.code ?? `HTTP_${reply.status}` };
}

/** A drop's client over plain fetch; an unreachable app is an outcome (NETWORK_ERROR), not a failure. */
export function httpDropClient(url: string): DropClient {
  const send = (path: string, method: string, token: string): Promise<DropReply> =>
    fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}` } }).then(
      async (response) => ({ status: response.status, body: await response.json().catch(() => ({})) }),
      (error: Error) => ({ status: 0, body: { code: `NETWORK_ERROR ${error.message}` } }),
    );
  return {
    issue: (couponId, token) => send(`/coupons/${couponId}/issue`, 'POST', token),
    issueRequest: (requestId, token) => send(`/coupons/issue-requests/${requestId}`, 'GET', token),
  };
}

/** Copies issued, users holding more than one (must be 0), refusals by code, and requests left undecided. */
export function tallyDrop(answers: DropAnswer[]): {
  issued: number;
  duplicates: number;
  refusals: Record<string, number>;
  pending: number;
} {
  const refusals: Record<string, number> = {};
  const copiesByUser = new Map<number, number>();
  let pending = 0;
  for (const a of answers) {
    if (a.outcome === 'ISSUED') copiesByUser.set(a.caller.id, (copiesByUser.get(a.caller.id) ?? 0) + 1);
    else if (a.outcome === 'PENDING') pending++;
    else refusals[a.outcome] = (refusals[a.outcome] ?? 0) + 1;
  }
  return {
    issued: [...copiesByUser.values()].reduce((n, c) => n + c, 0),
    duplicates: [...copiesByUser.values()].filter((c) => c > 1).length,
    refusals,
    pending,
  };
}
