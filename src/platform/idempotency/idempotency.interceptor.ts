import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor, RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { from, lastValueFrom, Observable } from 'rxjs';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { unavailableDependency } from '../http/dependency-errors';
import { DomainError } from '../http/problem-catalog';
import { problemOf } from '../http/problem.filter';
import { ReplayedResponse } from '../http/replayed-response';
import { TransactionRunner } from '../database/transaction-runner';
import { IdempotencyService } from './idempotency.service';

const KEY_PATTERN = /^[\x20-\x7E]{1,255}$/;

export const IDEMPOTENT_OPTIONS = 'idempotency:options';

export interface IdempotentOptions {
  /**
   * true (default): the handler runs in one transaction that also stores the reply, so a change
   * that committed always has its reply stored. false: for a handler that must commit on its own
   * before it returns (one that commits under a lock it then releases, or serves other callers'
   * requests in its transaction); its reply is stored just after, and can be lost if that fails.
   */
  completeInTransaction?: boolean;
}

/**
 * Idempotency-Key (contract): the same user + key + request within 24 h answers the first
 * response without redoing the work; another request with the key is 422; a concurrent one 409.
 * Responses the client saw (2xx and 4xx) are stored; a 5xx releases the key so a retry runs.
 * A success is stored in the same transaction as the change it answers (see IdempotentOptions):
 * if the change committed, its reply is there for the retry, whatever fails afterwards.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly idempotency: IdempotencyService,
    private readonly transactions: TransactionRunner,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthenticatedUser }>();
    const key = request.headers['idempotency-key'];
    if (key === undefined || !request.user) return next.handle();
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key must be 1 to 255 printable characters', {
        errors: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }],
      });
    }
    return from(this.handle(context, next, request.user.id, key, fingerprint(request)));
  }

  private async handle(context: ExecutionContext, next: CallHandler, userId: number, key: string, hash: string): Promise<unknown> {
    const claim = await this.idempotency.claim(userId, key, hash);
    if (claim.kind === 'replay') throw new ReplayedResponse(claim.status, claim.body);
    const options = this.reflector.get<IdempotentOptions | undefined>(IDEMPOTENT_OPTIONS, context.getHandler()) ?? {};
    const handleAndComplete = async () => {
      // On a retried transaction (deadlock) next.handle() runs the handler again.
      const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
      await this.idempotency.complete(userId, key, this.successStatus(context), body);
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

  private successStatus(context: ExecutionContext): number {
    // A handler that chose its status on the reply (201 vs 202) has set it by now.
    const chosen = context.switchToHttp().getResponse<{ statusCode: number }>().statusCode;
    if (chosen && chosen !== HttpStatus.OK) return chosen;
    const declared = this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler());
    if (declared) return declared;
    const method = context.switchToHttp().getRequest<FastifyRequest>().method;
    return method === RequestMethod[RequestMethod.POST] ? HttpStatus.CREATED : HttpStatus.OK;
  }
}

/** What makes two requests "the same": method, route, path parameters and body. */
function fingerprint(request: FastifyRequest): string {
  const material = JSON.stringify([request.method, request.routeOptions.url, request.params ?? {}, request.body ?? null]);
  return createHash('sha256').update(material).digest('hex');
}
