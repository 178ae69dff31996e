import { HttpCode, Post } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { API_IDEMPOTENT } from '../http/api-contract';
import { DomainError } from '../errors/domain-error';
import type { IdempotencyService } from './idempotency.service';
import type { TransactionRunner } from '../database/transaction-runner';
import { IdempotentHandler } from './idempotent-handler';
import { Idempotent } from './idempotent.decorator';

class Probe {
  // Decorators on both sides of @Idempotent(): those below it are copied onto the wrapper.
  @Post('probe')
  @Idempotent()
  @HttpCode(200)
  handle(id: number, name: string) {
    return { id, name, received: arguments.length };
  }
}

describe('@Idempotent()', () => {
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const handler = Probe.prototype.handle as (...args: unknown[]) => unknown;
  const around = new IdempotentHandler({} as IdempotencyService, {} as TransactionRunner);
  const exchange = (headers: Record<string, string>) =>
    around.transform({ request: { headers, user: { id: 1, role: 'user' } } as never, reply: { statusCode: 200 } as never });

  it('keeps the route what its decorators declared, and the Idempotency-Key in the API contract', () => {
    expect(Reflect.getMetadata(PATH_METADATA, handler)).toBe('probe');
    expect(Reflect.getMetadata(METHOD_METADATA, handler)).toBeDefined();
    expect(Reflect.getMetadata(HTTP_CODE_METADATA, handler)).toBe(200);
    expect(Reflect.getMetadata(API_IDEMPOTENT, handler)).toBe(true);
    expect(handler.name).toBe('handle');
  });

  it('asks Nest for one hidden last argument, resolved through IdempotentHandler', () => {
    const args = Object.values(
      Reflect.getMetadata(ROUTE_ARGS_METADATA, Probe, 'handle') as Record<string, { index: number; pipes: unknown[] }>,
    );
    expect(args.map((a) => [a.index, a.pipes])).toEqual([[2, [IdempotentHandler]]]);
  });

  it('calls the method with its own arguments only; without a key, nothing else happens', async () => {
    expect(await handler.call(new Probe(), 7, 'seven', exchange({}))).toEqual({ id: 7, name: 'seven', received: 2 });
  });

  it('refuses a malformed key before the method runs', () => {
    expect(() => handler.call(new Probe(), 7, 'seven', exchange({ 'idempotency-key': 'é' }))).toThrow(DomainError);
  });
});
