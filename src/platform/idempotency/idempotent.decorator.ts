import { UseInterceptors } from '@nestjs/common';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * Honours the Idempotency-Key header on this route (see IdempotencyInterceptor). Bound per route,
 * not globally: every interceptor costs each request an async-context bind, even when it does nothing.
 */
export const Idempotent = (): MethodDecorator => UseInterceptors(IdempotencyInterceptor);
