/**
 * The one problem catalogue: every stable error code the API answers with, its HTTP status and
 * title. The platform declares the generic codes below; each business module declares its own in
 * its `<module>-errors.ts` with {@link defineProblems} and adds them to {@link ProblemCodes} there,
 * so a code is checked at compile time wherever it is written (`new DomainError('ORDER_NOT_FOUND')`,
 * `@ApiEndpoint({ problems: [...] })`). docs/errors.md lists the whole catalogue for clients.
 */
export interface ProblemDefinition {
  readonly status: number;
  readonly title: string;
}

/** Problem codes and their definitions, as one owner declares them. */
export type ProblemSlice = Readonly<Record<string, ProblemDefinition>>;

const CATALOGUE = new Map<string, ProblemDefinition>();

/**
 * Adds an owner's codes to the catalogue when its file is loaded, and returns them. A code is
 * declared once: a second owner declaring it is a programming error and stops the process.
 */
export function defineProblems<const Slice extends ProblemSlice>(slice: Slice): Slice {
  for (const [code, definition] of Object.entries(slice)) {
    if (CATALOGUE.has(code)) throw new Error(`problem code ${code} is declared twice`);
    CATALOGUE.set(code, definition);
  }
  return slice;
}

/** Requests, authentication, the HTTP layer, idempotency and unavailable dependencies. */
export const PLATFORM_PROBLEMS = defineProblems({
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  UNAUTHORIZED: { status: 401, title: 'Authentication is required' },
  // The login limiter (platform/auth) counts these.
  INVALID_CREDENTIALS: { status: 401, title: 'Wrong email or password' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  URI_TOO_LONG: { status: 414, title: 'The request URI is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be JSON' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'The idempotency key was used with another request' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'A request with this idempotency key is in progress' },
  RATE_LIMITED: { status: 429, title: 'Too many attempts, retry later' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'A dependency is unavailable' },
});

type PlatformProblems = typeof PLATFORM_PROBLEMS;

/**
 * Every problem code, as a type (by declaration merging). A module adds its codes beside their
 * declaration:
 *
 *     type OrderProblems = typeof ORDER_PROBLEMS;
 *     declare module '../../platform/errors/problem-catalog' {
 *       interface ProblemCodes extends OrderProblems {}
 *     }
 */
export interface ProblemCodes extends PlatformProblems {}

export type ProblemCode = keyof ProblemCodes;

/** The status and title of a code; fails loudly for a code whose owner's file was never loaded. */
export function problemDefinition(code: ProblemCode): ProblemDefinition {
  const definition = CATALOGUE.get(code);
  if (!definition) throw new Error(`problem code ${code} is not in the catalogue: its module's *-errors.ts was not loaded`);
  return definition;
}

/** Every code in the catalogue, sorted (the OpenAPI `Problem.code` enum, the docs check). */
export function problemCodes(): ProblemCode[] {
  return [...CATALOGUE.keys()].sort() as ProblemCode[];
}
