import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// What a caller may send as its own request id: short, printable, no spaces.
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/**
 * The caller's X-Request-Id when it is sane, else a new UUID. Fastify takes it as `request.id`;
 * the access line and every log line of the request carry it, and the response echoes it.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}
