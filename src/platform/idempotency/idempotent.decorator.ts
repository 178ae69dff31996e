import { SetMetadata } from '@nestjs/common';

export const IDEMPOTENT = 'idempotency:enabled';

/** Honours the Idempotency-Key header on this route (see IdempotencyInterceptor). */
export const Idempotent = (): MethodDecorator => SetMetadata(IDEMPOTENT, true);
