import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { API_IDEMPOTENT } from '../http/api-contract';
import { IdempotencyInterceptor } from './idempotency.interceptor';

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
 * Honours the Idempotency-Key header on this route (see IdempotencyInterceptor). Bound per route,
 * not globally: every interceptor costs each request an async-context bind, even when it does nothing.
 */
export const Idempotent = (options: IdempotentOptions = {}): MethodDecorator =>
  applyDecorators(SetMetadata(IDEMPOTENT_OPTIONS, options), SetMetadata(API_IDEMPOTENT, true), UseInterceptors(IdempotencyInterceptor));
