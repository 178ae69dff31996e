import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors/domain-error';

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
    // callback style: the result arrives through done
    void parse(request, text, SURROGATE_ESCAPE.test(text) ? refuseMalformedText(done) : done);
  });
}

/**
 * A JSON escape can spell half of a surrogate pair alone (`"\ud800"`): a string that is not Unicode
 * text, that no column stores as sent, and on which validator's `isEmail` throws (a URIError, which
 * was a 500). Raw UTF-8 cannot carry one, so only a body with such an escape is walked.
 */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /\p{Cs}/u;

function refuseMalformedText(done: (error: Error | null, body?: unknown) => void) {
  return (error: Error | null, body?: unknown) => {
    const field = error ? undefined : malformedTextField(body);
    if (field === undefined) {
      done(error, body);
      return;
    }
    done(
      new DomainError('VALIDATION_FAILED', `Invalid field: ${field}`, {
        errors: [{ field, message: 'must be Unicode text (it holds half of a surrogate pair)' }],
      }),
      undefined,
    );
  };
}

/** The path (as validation names fields: `items.0.name`) of the first key or string that is not Unicode text. */
export function malformedTextField(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path || 'body' : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    if (LONE_SURROGATE.test(key)) return childPath;
    const found = malformedTextField(child, childPath);
    if (found !== undefined) return found;
  }
  return undefined;
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
