/**
 * fast-check generators for requests to one operation: values drawn from the document's schemas,
 * mixed with hostile ones (wrong types, 2^53, -0, NaN, emoji, SQL, __proto__, deep nesting,
 * 1 MB+ bodies, duplicate keys, wrong content types, forged cursors).
 */
import fc, { type Arbitrary } from 'fast-check';
import { type Contract, type Operation, type Schema } from './contract';

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/** Ids and cursors that exist in the app, so generated requests reach past "not found". */
export interface Fixtures {
  productIds: number[];
  couponIds: number[];
  orderIds: number[];
  userCouponIds: number[];
  issueRequestIds: string[];
  cursors: string[];
}

/** A JSON number written as is (-0, 2^53 + 1, 1e400): JSON.stringify cannot write these. */
class RawJson {
  constructor(readonly text: string) {}
}

export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .map((key) => `${JSON.stringify(key)}:${toJsonText((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const SQL = [
  "' OR '1'='1",
  '1; DROP TABLE users; --',
  '" OR ""="',
  "'); DELETE FROM orders; --",
  '%27%20OR%201=1',
  '\\',
  '`',
  '1 UNION SELECT password FROM users',
];
const UNICODE = ['😀', '👨‍👩‍👧‍👦', 'é', 'ß', '中文', 'עברית', '\u0000', '\u202e', '\ud800', '\uffff', 'ｆｕｌｌ', '\r\n', '\t'];
const LONG = ['a'.repeat(101), 'x'.repeat(256), 'y'.repeat(10_000)];
const NUMERIC_TEXT = ['NaN', 'Infinity', '-Infinity', '1e3', '0x10', '+1', '01', ' 1', '1.0', '-0', '9007199254740993', ''];

/** Values of any JSON type that a well-behaved client would not send. */
export const hostileValue: Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    -1,
    0,
    1.5,
    -0.5,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 53,
    -(2 ** 53),
    Number.MAX_SAFE_INTEGER,
    1e308,
    -1e308,
    Number.MIN_VALUE,
    new RawJson('-0'),
    new RawJson('9007199254740993'),
    new RawJson('1e400'),
    new RawJson('1.0'),
    new RawJson('1E3'),
    [],
    [1],
    {},
    { $gt: 0 },
    { __proto__: null, constructor: { prototype: { admin: true } } },
  ),
  fc.constantFrom<unknown>(...SQL, ...UNICODE, ...LONG, ...NUMERIC_TEXT),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.integer(),
  fc.double(),
);

/** Hostile path parameter text (the fuzzer URL-encodes it). Dot segments are left out: the client would resolve them. */
const hostilePathValue: Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0',
    '-1',
    '-0',
    '1.5',
    '1e3',
    '0x1',
    '+1',
    '01',
    ' 1',
    '1 ',
    '9007199254740992',
    '9007199254740993',
    '99999999999999999999999',
  ),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', 'null', 'undefined', 'true', '[]', '{}', '__proto__', 'constructor', 'prototype'),
  fc.constantFrom(...SQL, ...UNICODE.filter((u) => u !== '\u0000'), ...LONG),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => s !== '.' && s !== '..'),
);

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function queryValue(schema: Schema, name: string, fixtures: Fixtures): Arbitrary<string> {
  const valid: Arbitrary<string> =
    name === 'cursor'
      ? fixtures.cursors.length > 0
        ? fc.constantFrom(...fixtures.cursors)
        : fc.constant('')
      : schema.enum
        ? fc.constantFrom(...(schema.enum as string[]))
        : schema.type === 'integer'
          ? fc.integer({ min: schema.minimum ?? 0, max: schema.maximum ?? 100 }).map(String)
          : fc.string({ maxLength: 20 });
  const forgedCursor = fc.oneof(
    fc.constantFrom(
      base64url('{"id":-1}'),
      base64url('{"id":"1 OR 1=1"}'),
      base64url("' OR 1=1 --"),
      base64url('{"createdAt":"not a date","id":1}'),
      base64url('{"__proto__":{"x":1}}'),
      base64url('[]'),
      base64url('null'),
      '!!!',
      '%00',
      'a'.repeat(201),
    ),
    fc.string({ maxLength: 60 }).map(base64url),
    ...fixtures.cursors.map((cursor) =>
      fc.nat({ max: Math.max(0, cursor.length - 1) }).map((at) => `${cursor.slice(0, at)}A${cursor.slice(at + 1)}`),
    ),
  );
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 2, arbitrary: hostileValue.map((v) => (typeof v === 'string' ? v : toJsonText(v))) },
    { weight: 2, arbitrary: forgedCursor },
  );
}

/** A value the schema allows (within small bounds), with ids taken from the fixtures where a field names one. */
export function schemaValue(contract: Contract, schema: Schema, fixtures: Fixtures, name = ''): Arbitrary<unknown> {
  const resolved = contract.resolve(schema);
  if (name === 'productId' && fixtures.productIds.length)
    return fc.oneof(fc.constantFrom(...fixtures.productIds), fc.integer({ min: 1, max: 1000 }));
  if (name === 'userCouponId' && fixtures.userCouponIds.length)
    return fc.oneof(fc.constantFrom(...fixtures.userCouponIds), fc.integer({ min: 1, max: 1000 }));
  if (resolved.enum) return fc.constantFrom(...(resolved.enum as unknown[]));
  switch (resolved.type) {
    case 'object': {
      const properties = (resolved.properties ?? {}) as Record<string, Schema>;
      const model = Object.fromEntries(Object.entries(properties).map(([key, sub]) => [key, schemaValue(contract, sub, fixtures, key)]));
      return fc.record(model, { requiredKeys: (resolved.required ?? []) as string[] });
    }
    case 'array':
      return fc.array(schemaValue(contract, resolved.items, fixtures), {
        minLength: resolved.minItems ?? 0,
        maxLength: Math.min(resolved.maxItems ?? 4, 4),
      });
    case 'integer': {
      const min = resolved.minimum ?? -1_000_000;
      const max = Math.min(resolved.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER);
      // Charges are multiples of 1,000: without this hint, valid amounts would almost never come up.
      return fc.oneof(
        fc.integer({ min, max }),
        fc.constantFrom(min, max),
        fc.integer({ min: 1, max: 100 }).map((n) => n * 1000),
      );
    }
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'string':
      if (resolved.format === 'date-time')
        return fc.integer({ min: -30, max: 30 }).map((days) => new Date(Date.now() + days * 86_400_000).toISOString());
      if (resolved.format === 'uuid') return fc.uuid();
      if (name === 'email') return fc.emailAddress();
      if (name === 'category') return fc.stringMatching(/^[a-z0-9_-]{1,20}$/);
      return fc.string({ minLength: resolved.minLength ?? 0, maxLength: Math.min(resolved.maxLength ?? 30, 30) });
    default:
      return fc.constant(null);
  }
}

/** A valid value with one part broken: a field replaced by a hostile value, removed, nulled, or an extra key. */
function mutated(valid: Arbitrary<unknown>): Arbitrary<unknown> {
  return fc
    .tuple(valid, hostileValue, fc.nat(), fc.constantFrom('replace', 'remove', 'null', 'extra', 'proto', 'whole'))
    .map(([value, hostile, pick, how]) => {
      if (!value || typeof value !== 'object' || Array.isArray(value) || how === 'whole') return hostile;
      const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      const keys = Object.keys(copy);
      const key = keys.length ? keys[pick % keys.length] : 'field';
      if (how === 'replace') copy[key] = hostile;
      else if (how === 'remove') delete copy[key];
      else if (how === 'null') copy[key] = null;
      else if (how === 'extra') copy[`extra${pick % 3}`] = hostile;
      else
        Object.defineProperty(copy, ['__proto__', 'constructor', 'prototype'][pick % 3], {
          value: { role: 'admin', admin: true },
          enumerable: true,
        });
      return copy;
    });
}

const MIB = 1024 * 1024;

/** Bodies that are not well-formed, too big, too deep, or JSON with traps in it. */
function hostileBodyText(validText: Arbitrary<string>): Arbitrary<string | Uint8Array> {
  return fc.oneof(
    fc.constantFrom<string | Uint8Array>(
      '',
      'null',
      '[]',
      '"text"',
      '1',
      'true',
      'not json',
      '{',
      '{"a":}',
      '{"amount":NaN}',
      '{"amount":Infinity}',
      '\ufeff{}',
      '{"__proto__":{"role":"admin","isAdmin":true}}',
      '{"constructor":{"prototype":{"role":"admin"}}}',
      `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      `${'['.repeat(40)}${']'.repeat(40)}`,
      JSON.stringify({ name: 'x'.repeat(MIB + 10) }),
      'x'.repeat(MIB + 100),
      Uint8Array.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]),
    ),
    // The same key twice: whichever wins must still be validated.
    fc.tuple(validText, hostileValue).map(([text, hostile]) => {
      const first = /^\{"([^"]+)"/.exec(text)?.[1] ?? 'a';
      return text.startsWith('{') && text.length > 2 ? `{${JSON.stringify(first)}:${toJsonText(hostile)},${text.slice(1)}` : text;
    }),
    fc.tuple(validText, fc.constantFrom('}', '"', ',', '\u0000')).map(([text, junk]) => text + junk),
  );
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=utf-16',
  'application/JSON',
  'application/problem+json',
  'application/json;;',
  '*/*',
];

const IDEMPOTENCY_KEYS = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 }),
  fc.constantFrom(' ', 'k'.repeat(255), 'k'.repeat(256), 'é-latin1', "' OR 1=1 --", 'key\t1', 'a'.repeat(20_000)),
);

export interface Caller {
  name: 'anonymous' | 'user' | 'admin';
  /** Authorization header values for this caller (several for the anonymous one: none, garbage, forged). */
  authorization: Array<string | undefined>;
}

/** Every request the fuzzer may send to one operation as one caller. */
export function requestArbitrary(contract: Contract, operation: Operation, caller: Caller, fixtures: Fixtures): Arbitrary<FuzzRequest> {
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const queryParams = operation.parameters.filter((p) => p.in === 'query');
  const takesKey = operation.parameters.some((p) => p.in === 'header' && p.name === 'Idempotency-Key');

  const pathArb = fc.tuple(
    ...pathParams.map((param) => {
      const known =
        param.name === 'requestId'
          ? fixtures.issueRequestIds.length
            ? fc.constantFrom(...fixtures.issueRequestIds)
            : fc.uuid()
          : fc.constantFrom(...knownIds(operation, fixtures));
      const schemaIds = param.name === 'requestId' ? fc.uuid() : fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map(String);
      return fc.oneof(
        { weight: 4, arbitrary: known.map(String) },
        { weight: 1, arbitrary: schemaIds },
        { weight: 3, arbitrary: hostilePathValue },
      );
    }),
  );

  const queryArb = fc
    .tuple(
      fc.tuple(...queryParams.map((param) => fc.option(queryValue(param.schema, param.name, fixtures), { freq: 2 }))),
      fc.option(
        fc.constantFrom(
          'limit=1&limit=2',
          'limit[]=1',
          'limit[a]=1',
          '__proto__[x]=1',
          'constructor[prototype][x]=1',
          '%ff=1',
          'a=%E0%A4%A',
          '&&&',
          '=',
        ),
        { freq: 4 },
      ),
    )
    .map(([values, extra]) => {
      const search = new URLSearchParams();
      queryParams.forEach((param, i) => {
        if (values[i] !== null) search.append(param.name, values[i]);
      });
      const text = [search.toString(), extra ?? ''].filter(Boolean).join('&');
      return text ? `?${text}` : '';
    });

  const bodyArb: Arbitrary<{ body?: string | Uint8Array; contentType?: string }> = operation.body
    ? (() => {
        const valid = schemaValue(contract, operation.body, fixtures);
        const validText = valid.map(toJsonText);
        return fc.record({
          body: fc.oneof(
            { weight: 3, arbitrary: validText },
            { weight: 4, arbitrary: mutated(valid).map(toJsonText) },
            { weight: 2, arbitrary: hostileBodyText(validText) },
          ),
          contentType: fc.oneof(
            { weight: 8, arbitrary: fc.constant('application/json') },
            { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
          ),
        });
      })()
    : operation.method === 'GET'
      ? fc.constant({})
      : fc.oneof(
          { weight: 4, arbitrary: fc.constant({}) },
          {
            weight: 1,
            arbitrary: fc.record({
              body: hostileBodyText(fc.constant('{}')),
              contentType: fc.constantFrom('application/json', ...CONTENT_TYPES),
            }),
          },
        );

  return fc
    .record({
      pathValues: pathArb,
      query: queryArb,
      body: bodyArb,
      key: takesKey ? fc.option(IDEMPOTENCY_KEYS, { freq: 2 }) : fc.constant(null),
      authorization: fc.constantFrom(...caller.authorization),
    })
    .map(({ pathValues, query, body, key, authorization }) => {
      let i = 0;
      const path = operation.path.replace(/\{\w+\}/g, () => encodePathValue(pathValues[i++]));
      const headers: Record<string, string> = {};
      if (authorization) headers.authorization = authorization;
      if (key !== null) headers['idempotency-key'] = key;
      if (body.contentType) headers['content-type'] = body.contentType;
      return { method: operation.method, path: `${path}${query}`, headers, body: body.body };
    });
}

/** Percent-encodes a path value; a lone surrogate (not encodable as UTF-8) is sent as the invalid bytes ED A0 80. */
function encodePathValue(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value
      .replace(/[\ud800-\udfff]/g, '\ufffd')
      .split('\ufffd')
      .map(encodeURIComponent)
      .join('%ED%A0%80');
  }
}

function knownIds(operation: Operation, fixtures: Fixtures): number[] {
  const ids = operation.path.startsWith('/orders')
    ? fixtures.orderIds
    : operation.path.startsWith('/coupons')
      ? fixtures.couponIds
      : fixtures.productIds;
  return ids.length ? ids : [1];
}
