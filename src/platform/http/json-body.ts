import type { FastifyInstance } from 'fastify';
import { DomainError } from './problem-catalog';

/** Deeper than any request of the API needs; far shallower than what exhausts a recursive walk. */
export const MAX_JSON_DEPTH = 32;

/**
 * The one JSON body parser: fastify's own (with its prototype-poisoning checks), behind a depth
 * check on the raw text. Validation and the idempotency fingerprint walk bodies recursively, so a
 * body nested thousands of levels deep must be refused before it is parsed (400, not a stack
 * overflow). Replaces Nest's parser: create the app with `bodyParser: false`.
 */
export function installJsonBodyParser(instance: FastifyInstance): void {
  const parse = instance.getDefaultJsonParser('error', 'error');
  instance.removeContentTypeParser('application/json');
  instance.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(
        new DomainError('VALIDATION_FAILED', `The body nests deeper than ${MAX_JSON_DEPTH} levels`, {
          errors: [{ field: 'body', message: `must not nest objects and arrays deeper than ${MAX_JSON_DEPTH} levels` }],
        }),
        undefined,
      );
      return;
    }
    void parse(request, text, done); // callback style: the result arrives through done
  });
}

/** One pass over the text, counting open brackets outside strings. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
