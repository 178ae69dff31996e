import type { FastifyReply } from 'fastify';

/**
 * What a use case run under {@link IdempotencyService.once} answers: its own result, or (replayed)
 * the answer stored for the key's first request, with that request's status.
 */
export type Answer<T> = { replayed: false; status?: number; body: T } | { replayed: true; status: number; body: unknown };

/** Sets the answer's status on the reply (a replayed one marked `Idempotent-Replayed: true`) and gives the body to send. */
export function sendAnswer<T>(reply: FastifyReply, answer: Answer<T>): unknown {
  if (answer.status !== undefined) void reply.status(answer.status);
  if (answer.replayed) {
    void reply.header('Idempotent-Replayed', 'true');
    void reply.type(answer.status >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8');
  }
  return answer.body;
}
