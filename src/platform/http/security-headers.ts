import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/** A Connect-style middleware that only sets headers, as helmet's is. */
type HeaderMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The headers a header-only middleware sets, captured once by running it against a recording
 * response: helmet's output depends on its options, not on the request (no CSP nonce or other
 * directive function here), so every response can carry this one object instead of running the
 * middleware, about a dozen `setHeader` calls, per request. Names are lower case, as Fastify's
 * `reply.headers()` stores them; headers are case-insensitive on the wire. Throws if the
 * middleware does anything but set or remove headers synchronously.
 */
export function staticHeadersOf(middleware: HeaderMiddleware): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: number | string | readonly string[]) {
      if (typeof value !== 'string') throw new Error(`header ${name}: expected one string value, got ${JSON.stringify(value)}`);
      headers[name.toLowerCase()] = value;
      return recorder;
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let outcome: { error?: unknown } | undefined;
  middleware({ method: 'GET', url: '/', headers: {} } as IncomingMessage, recorder as unknown as ServerResponse, (error) => {
    outcome = { error };
  });
  if (!outcome) throw new Error('the header middleware did not finish synchronously');
  if (outcome.error instanceof Error) throw outcome.error;
  if (outcome.error) throw new Error('the header middleware failed', { cause: outcome.error });
  return Object.freeze(headers);
}

/**
 * The app's security headers (helmet), as every response carries them. The CSP allows what Swagger
 * UI at /docs needs (its own scripts and styles, inline styles, data: images) and nothing from
 * elsewhere. `crossOrigin`: CORS is on (CORS_ORIGINS), so other origins may read the JSON.
 */
export function appSecurityHeaders(options: { crossOrigin: boolean }): Readonly<Record<string, string>> {
  return staticHeadersOf(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          frameAncestors: ["'none'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          // Plain http on localhost must still load /docs' own scripts.
          upgradeInsecureRequests: null,
        },
      },
      // An API answers JSON to other origins' fetches only when CORS allows it; CORP would block even those.
      crossOriginResourcePolicy: options.crossOrigin ? { policy: 'cross-origin' } : { policy: 'same-origin' },
    }),
  );
}
