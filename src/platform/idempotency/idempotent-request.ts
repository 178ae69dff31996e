import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { DomainError } from '../errors/domain-error';
import { API_IDEMPOTENT } from '../http/api-contract';

const KEY_PATTERN = /^[\x20-\x7E]{1,255}$/;

/** A request that carried an `Idempotency-Key`: whose key, which request, and the route's success status. */
export interface IdempotentRequest {
  userId: number;
  key: string;
  /** What makes two requests "the same": method, route, path parameters and body. */
  fingerprint: string;
  /** The status the route answers a success with (@HttpCode, or 201 for POST), unless the use case says otherwise. */
  status: number;
}

const readKey = createParamDecorator((_: unknown, context: ExecutionContext): IdempotentRequest | undefined => {
  const http = context.switchToHttp();
  const request = http.getRequest<FastifyRequest & { user?: AuthenticatedUser }>();
  const key = request.headers['idempotency-key'];
  if (key === undefined || !request.user) return undefined;
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key must be 1 to 255 printable characters', {
      errors: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }],
    });
  }
  // Nest has set the route's status on the reply before it resolves the handler's arguments.
  return { userId: request.user.id, key, fingerprint: fingerprint(request), status: http.getResponse<FastifyReply>().statusCode };
});

/**
 * The handler's argument for the request's `Idempotency-Key` header (undefined without one): 400
 * VALIDATION_FAILED naming the header for a malformed key. The handler passes it to its use case,
 * which runs under {@link IdempotencyService.once}; the route's OpenAPI operation lists the header.
 * A parameter, not an interceptor: see IdempotencyService.
 */
export const IdempotencyKey =
  (): ParameterDecorator =>
  (target, method, index): void => {
    readKey()(target, method, index);
    const handler = (target as Record<string | symbol, unknown>)[method!] as object;
    SetMetadata(API_IDEMPOTENT, true)(target, method!, { value: handler });
  };

function fingerprint(request: FastifyRequest): string {
  const material = JSON.stringify([request.method, request.routeOptions.url, request.params ?? {}, request.body ?? null]);
  return createHash('sha256').update(material).digest('hex');
}
