import 'reflect-metadata';
import { type ArgumentMetadata } from '@nestjs/common';
import { DomainError } from '../errors/domain-error';
import { PageQuery } from './params';
import { createValidationPipe } from './validation';

const asQuery: ArgumentMetadata = { type: 'query', metatype: PageQuery, data: '' };

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
  return error;
}

describe('the global validation pipe on query strings (valid ones are remembered)', () => {
  it('answers a repeated query with an equal, converted instance of its class, a new one each time', async () => {
    const pipe = createValidationPipe();
    const first = (await pipe.transform({ limit: '5' }, asQuery)) as PageQuery;
    const again = (await pipe.transform({ limit: '5' }, asQuery)) as PageQuery;
    expect(again).toBeInstanceOf(PageQuery);
    expect(again).toEqual(first);
    expect(again.limit).toBe(5);
    expect(again).not.toBe(first);
  });

  it("keeps one caller's change to its query from the next caller", async () => {
    const pipe = createValidationPipe();
    const first = (await pipe.transform({ limit: '5' }, asQuery)) as PageQuery;
    first.limit = 99;
    const again = (await pipe.transform({ limit: '5' }, asQuery)) as PageQuery;
    expect(again.limit).toBe(5);
  });

  it('still refuses an invalid query, every time, naming the field', async () => {
    const pipe = createValidationPipe();
    await pipe.transform({ limit: '5' }, asQuery);
    for (let i = 0; i < 2; i++) {
      const error = await refusal(pipe.transform({ limit: '5000' }, asQuery));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toBe('Invalid field: limit');
    }
    expect((await refusal(pipe.transform({ limit: '5', extra: 'x' }, asQuery))).message).toBe('Invalid field: extra');
  });

  it('tells apart queries that differ only in a value', async () => {
    const pipe = createValidationPipe();
    expect(((await pipe.transform({ limit: '5' }, asQuery)) as PageQuery).limit).toBe(5);
    expect(((await pipe.transform({ limit: '6' }, asQuery)) as PageQuery).limit).toBe(6);
  });
});
