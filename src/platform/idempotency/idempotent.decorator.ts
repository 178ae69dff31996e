import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { API_IDEMPOTENT } from '../http/api-contract';
import type { IdempotentOptions } from './idempotent-options';
import { type IdempotentExchange, IdempotentHandler } from './idempotent-handler';

/** The request and reply, for the handler's hidden last argument (turned into an exchange by IdempotentHandler). */
const Exchange = createParamDecorator((_: unknown, context: ExecutionContext) => {
  const http = context.switchToHttp();
  return { request: http.getRequest<IdempotentExchange['request']>(), reply: http.getResponse<IdempotentExchange['reply']>() };
});

type Handler = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Honours the Idempotency-Key header on this route (see IdempotentHandler). The route stays an
 * ordinary controller method: this wraps the method so that IdempotentHandler runs around it, and
 * gives it one hidden last argument (the request, reply and the app's IdempotentHandler, from
 * Nest's injector) that the wrapper takes off before calling the method. Every metadata key the
 * method already carries (route, status code, OpenAPI) is copied onto the wrapper; decorators
 * listed above this one put theirs on the wrapper directly.
 */
export const Idempotent =
  (options: IdempotentOptions = {}): MethodDecorator =>
  (target, key, descriptor) => {
    const method = descriptor.value as unknown as Handler;
    const declared = Reflect.getMetadata('design:paramtypes', target, key) as unknown[] | undefined;
    const hidden = declared?.length ?? method.length;
    Exchange(IdempotentHandler)(target, key, hidden);
    const idempotent: Handler = function (this: unknown, ...args: unknown[]) {
      const exchange = args[hidden] as IdempotentExchange;
      args.length = hidden;
      return exchange.around.run(exchange, options, () => method.apply(this, args));
    };
    for (const name of Reflect.getOwnMetadataKeys(method)) {
      Reflect.defineMetadata(name, Reflect.getOwnMetadata(name, method), idempotent);
    }
    Object.defineProperty(idempotent, 'name', { value: method.name });
    (descriptor as PropertyDescriptor).value = idempotent;
    SetMetadata(API_IDEMPOTENT, true)(target, key, descriptor);
    return descriptor;
  };
