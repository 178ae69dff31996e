import { Injectable, type PipeTransform } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { unavailableDependency } from '../http/dependency-errors';
import { DomainError } from '../errors/domain-error';
import { problemOf } from '../http/problem.filter';
import { ReplayedResponse } from '../http/replayed-response';
import { TransactionRunner } from '../database/transaction-runner';
import { IdempotencyService } from './idempotency.service';
import type { IdempotentOptions } from './idempotent-options';

const KEY_PATTERN = /^[\x20-\x7E]{1,255}$/;

/** The request and reply of one call to an @Idempotent() handler, with the app's handler around it. */
export interface IdempotentExchange {
  request: FastifyRequest & { user?: AuthenticatedUser };
  reply: FastifyReply;
  around: IdempotentHandler;
}

/**
 * Idempotency-Key (contract): the same user + key + request within 24 h answers the first
 * response without redoing the work; another request with the key is 422; a concurrent one 409.
 * Responses the client saw (2xx and 4xx) are stored; a 5xx releases the key so a retry runs.
 * A success is stored in the same transaction as the change it answers (see IdempotentOptions):
 * if the change committed, its reply is there for the retry, whatever fails afterwards.
 *
 * It runs around the handler that @Idempotent() wraps, not as a Nest interceptor: a route with
 * any interceptor goes through Nest's RxJS chain and two `AsyncResource.bind` calls per request,
 * and on Node 20 and 24 each bind builds two `util.deprecate` wrappers (the `asyncResource`
 * property, DEP0172): 4.7% of a refused issue request's CPU, plus RxJS's 4%, on every POST, with or
 * without a key. As a pipe of the handler's hidden argument it is resolved by Nest's
 * injector per application (several apps may share a process, as the tests' instances do).
 */
@Injectable()
export class IdempotentHandler implements PipeTransform<Omit<IdempotentExchange, 'around'>, IdempotentExchange> {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly transactions: TransactionRunner,
  ) {}

  transform(exchange: Omit<IdempotentExchange, 'around'>): IdempotentExchange {
    return { request: exchange.request, reply: exchange.reply, around: this };
  }

  /** Runs `handler` (the route's own method) under the request's Idempotency-Key, if it has one. */
  run(exchange: IdempotentExchange, options: IdempotentOptions, handler: () => unknown): unknown {
    const { request } = exchange;
    const key = request.headers['idempotency-key'];
    if (key === undefined || !request.user) return handler();
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key must be 1 to 255 printable characters', {
        errors: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }],
      });
    }
    return this.handle(exchange, options, handler, request.user.id, key, fingerprint(request));
  }

  private async handle(
    exchange: IdempotentExchange,
    options: IdempotentOptions,
    handler: () => unknown,
    userId: number,
    key: string,
    hash: string,
  ): Promise<unknown> {
    const claim = await this.idempotency.claim(userId, key, hash);
    if (claim.kind === 'replay') throw new ReplayedResponse(claim.status, claim.body);
    const handleAndComplete = async () => {
      // On a retried transaction (deadlock) this runs the handler again.
      const body: unknown = await handler();
      // Nest set the route's status (@HttpCode, or 201 for POST) before the handler ran; a
      // handler that chose its own on the reply (201 vs 202) has set it by now.
      await this.idempotency.complete(userId, key, exchange.reply.statusCode, body);
      return body;
    };
    try {
      return await (options.completeInTransaction === false ? handleAndComplete() : this.transactions.run(handleAndComplete));
    } catch (error) {
      if (error instanceof DomainError && error.status < 500) {
        await this.idempotency.complete(userId, key, error.status, problemOf(error.code, error.message, error.extra.errors));
      } else if (unavailableDependency(error)) {
        // The database may be the one away: do not make the 503 wait for it as well.
        void this.idempotency.release(userId, key).catch(() => undefined);
      } else {
        await this.idempotency.release(userId, key).catch(() => undefined);
      }
      throw error;
    }
  }
}

/** What makes two requests "the same": method, route, path parameters and body. */
function fingerprint(request: FastifyRequest): string {
  const material = JSON.stringify([request.method, request.routeOptions.url, request.params ?? {}, request.body ?? null]);
  return createHash('sha256').update(material).digest('hex');
}
