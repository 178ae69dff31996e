import { applyDecorators, SetMetadata } from '@nestjs/common';
import { type Reflector } from '@nestjs/core';
import { ApiOperation, type OpenAPIObject } from '@nestjs/swagger';
import { IS_PUBLIC, ROLES } from '../auth/authenticated-user';
import { type ProblemCode, problemCodes, problemDefinition } from '../errors/problem-catalog';
import { type RouteHandler } from './routes';

const API_PROBLEMS = 'api:problems';
const API_NO_DEPENDENCIES = 'api:noDependencies';
export const API_IDEMPOTENT = 'api:idempotent';

export interface EndpointSpec {
  /** Stable and human: what a generated client calls the method (`payOrder`, `issueCoupon`). */
  operationId: string;
  summary: string;
  description?: string;
  /** The domain errors this handler can answer with; the generic ones are added from its metadata. */
  problems?: ProblemCode[];
  /** True for handlers that touch no database, Redis or Kafka (so they never answer 503). */
  noDependencies?: boolean;
}

/** Names and describes an operation of the OpenAPI document, and declares its domain errors. */
export const ApiEndpoint = (spec: EndpointSpec): MethodDecorator =>
  applyDecorators(
    ApiOperation({ operationId: spec.operationId, summary: spec.summary, description: spec.description }),
    SetMetadata(API_PROBLEMS, spec.problems ?? []),
    SetMetadata(API_NO_DEPENDENCIES, spec.noDependencies ?? false),
  );

/** Built with the document: every module's codes are in the catalogue by then. */
const problemSchema = () => ({
  type: 'object',
  description: 'RFC 9457 problem details; `code` is stable, `detail` is for people.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', description: 'A URI reference naming the problem type', example: '/problems/order-not-found' },
    title: { type: 'string', example: 'No such order' },
    status: { type: 'integer', minimum: 400, maximum: 599, example: 404 },
    detail: { type: 'string', example: 'Order 42 does not exist' },
    code: { type: 'string', enum: problemCodes() },
    instance: { type: 'string', description: 'The request path', example: '/orders/42' },
    errors: { type: 'array', description: 'One entry per invalid field (400 only)', items: { $ref: '#/components/schemas/FieldError' } },
  },
});

const FIELD_ERROR_SCHEMA = {
  type: 'object',
  required: ['field', 'message'],
  properties: {
    field: { type: 'string', example: 'items.0.quantity' },
    message: { type: 'string', example: 'quantity must not be greater than 10' },
  },
};

const RETRY_AFTER = { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } };

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: the first answer (2xx or 4xx) for this key and caller is stored and replayed, with `Idempotent-Replayed: true`, ' +
    'for 24 hours. The same key with a different request is 422 IDEMPOTENCY_KEY_REUSED; while the first is running, 409 IDEMPOTENCY_IN_PROGRESS.',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\x20-\x7E]+$' },
};

type Operation = {
  parameters?: Array<{ in: string; name: string; schema?: Record<string, unknown> }>;
  requestBody?: unknown;
  responses: Record<string, { description: string; content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
  security?: unknown[];
};

/**
 * Completes the document Nest builds from the decorators into the contract clients generate code
 * from: a Problem schema for every error status, the generic errors each handler's metadata implies
 * (400 for input, 413/415 wherever a body can be sent, 414 for path parameters, 431 everywhere, 401 unless public, 403 for roles, 409/422 for idempotency,
 * 503 for dependencies), explicit `security`, integer path ids, servers, licence and contact.
 */
export function completeContract(document: OpenAPIObject, routes: RouteHandler[], reflector: Reflector): OpenAPIObject {
  document.info.license = { name: 'MIT', url: 'https://opensource.org/licenses/MIT' };
  document.info.contact = { name: 'Commerce backend maintainers (README.md)' };
  document.servers = [
    {
      url: '{origin}',
      description: 'Wherever this instance runs',
      variables: {
        origin: { default: 'http://127.0.0.1:3000', description: 'Scheme, host and port: `npm start` listens on 127.0.0.1:3000' },
      },
    },
  ];
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, Problem: problemSchema(), FieldError: FIELD_ERROR_SCHEMA };

  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const operation = (document.paths[path] as Record<string, Operation> | undefined)?.[route.method.toLowerCase()];
    if (!operation) continue;
    const targets = [route.handler as () => void, route.controller as () => void];
    const isPublic = reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) ?? false;
    const roles = reflector.getAllAndOverride<string[] | undefined>(ROLES, targets);
    const authenticated = !isPublic || roles !== undefined;

    operation.security = authenticated ? [{ bearer: [] }] : [];
    for (const parameter of operation.parameters ?? []) {
      // Path ids are read by ParseIdPipe: canonical positive integers.
      if (parameter.in === 'path' && parameter.schema?.type === 'number')
        parameter.schema = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER };
    }

    const codes: ProblemCode[] = [...(reflector.get<ProblemCode[]>(API_PROBLEMS, route.handler as () => void) ?? [])];
    if (operation.parameters?.length || operation.requestBody) codes.push('VALIDATION_FAILED');
    // The HTTP layer reads a body on every POST/PUT/PATCH, also where the handler takes none.
    if (operation.requestBody || ['POST', 'PUT', 'PATCH'].includes(route.method.toUpperCase()))
      codes.push('PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
    if (authenticated) codes.push('UNAUTHORIZED');
    if (roles) codes.push('FORBIDDEN');
    if (reflector.get<boolean>(API_IDEMPOTENT, route.handler as () => void)) {
      codes.push('IDEMPOTENCY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED');
      operation.parameters = [...(operation.parameters ?? []), IDEMPOTENCY_KEY];
    }
    if (!reflector.get<boolean>(API_NO_DEPENDENCIES, route.handler as () => void)) codes.push('SERVICE_UNAVAILABLE');
    // Answered by the HTTP layer before any handler, on every operation: oversized headers, and a
    // path parameter beyond the router's length limit.
    codes.push('HEADERS_TOO_LARGE');
    if (operation.parameters?.some((parameter) => parameter.in === 'path')) codes.push('URI_TOO_LONG');
    addProblemResponses(operation, [...new Set(codes)]);
  }
  return document;
}

function addProblemResponses(operation: Operation, codes: ProblemCode[]): void {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) {
    const { status } = problemDefinition(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const existing = operation.responses[status];
    // A handler that answers this status with its own body (readiness' 503) keeps its declaration.
    if (existing?.content && !existing.content['application/problem+json']) continue;
    const schema =
      statusCodes.length === problemCodes().length
        ? { $ref: '#/components/schemas/Problem' }
        : {
            allOf: [
              { $ref: '#/components/schemas/Problem' },
              { type: 'object', properties: { code: { type: 'string', enum: statusCodes } } },
            ],
          };
    operation.responses[status] = {
      description: statusCodes.map((code) => `${code}: ${problemDefinition(code).title}`).join('. '),
      content: { 'application/problem+json': { schema } },
      ...(status === 429 || status === 503 ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
    };
  }
}
