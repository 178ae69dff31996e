import { type ArgumentMetadata, type ValidationError, ValidationPipe } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { DomainError, type FieldError } from '../errors/domain-error';

/**
 * Global validation: unknown fields are rejected, nothing is coerced implicitly (a string is not a
 * number), and every failure is one 400 VALIDATION_FAILED naming each bad field.
 */
export function createValidationPipe(): ValidationPipe {
  return new BodyValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new DomainError('VALIDATION_FAILED', describe(errors), { errors: flatten(errors) }),
  });
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

function describe(errors: ValidationError[]): string {
  const fields = [...new Set(flatten(errors).map((e) => e.field))];
  return `Invalid field${fields.length > 1 ? 's' : ''}: ${fields.join(', ')}`;
}

/** Validated query strings remembered per query class: the few a page's readers send account for nearly every request. */
const REMEMBERED_QUERIES = 500;

/**
 * Also rejects a JSON body that is not an object (an array, a string, null) before field checks,
 * and leaves path parameters as the text they arrived as: converting them here (`Number('0x1')`)
 * would let aliases through the id pipe, which must see the text to accept only canonical ids.
 *
 * A valid query is remembered by its text (bounded, least recently used first out): validating one
 * costs about as much as answering a cached product page, and the same few are sent again and again.
 * Each caller gets its own copy (query classes hold scalars only); a refused query is not remembered.
 */
class BodyValidationPipe extends ValidationPipe {
  private readonly validQueries = new Map<ArgumentMetadata['metatype'], LRUCache<string, object>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'param') return value;
    if (metadata.type === 'query' && typeof metadata.metatype === 'function' && metadata.metatype !== Object) {
      return this.transformQuery(value, metadata);
    }
    const expectsObject = metadata.type === 'body' && typeof metadata.metatype === 'function' && metadata.metatype !== Object;
    if (expectsObject && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw new DomainError('VALIDATION_FAILED', 'The body must be a JSON object', {
        errors: [{ field: 'body', message: 'must be a JSON object' }],
      });
    }
    return super.transform(value, metadata);
  }

  private async transformQuery(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    let remembered = this.validQueries.get(metadata.metatype);
    if (!remembered) this.validQueries.set(metadata.metatype, (remembered = new LRUCache({ max: REMEMBERED_QUERIES })));
    const key = JSON.stringify(value);
    let valid = remembered.get(key);
    if (!valid) {
      valid = (await super.transform(value, metadata)) as object;
      remembered.set(key, valid);
    }
    return Object.assign(Object.create(Object.getPrototypeOf(valid) as object) as object, valid);
  }
}
