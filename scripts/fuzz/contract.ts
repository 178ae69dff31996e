/**
 * docs/openapi.json as the fuzzer sees it: every operation with its parameters, body schema and
 * declared answers, and an Ajv validator per (operation, status) for what the app answers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export const OPENAPI_FILE = join(__dirname, '..', '..', 'docs', 'openapi.json');

export type Schema = Record<string, any>;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}

export interface Operation {
  id: string;
  method: string;
  path: string;
  key: string;
  secured: boolean;
  admin: boolean;
  parameters: Parameter[];
  body?: Schema;
  statuses: Set<number>;
}

export interface Contract {
  document: Schema;
  operations: Operation[];
  /** Resolves `#/components/schemas/X` references (one level at a time). */
  resolve(schema: Schema): Schema;
  /** Validates an answer body against what the document declares for that status; null if none is declared. */
  validate(operation: Operation, status: number, contentType: string, body: unknown): string | null;
}

const SCHEMA_REF = '#/components/schemas/';

/** OpenAPI 3.0 schema -> JSON Schema Ajv understands: `nullable` becomes a null branch, refs point at the registered document. */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) {
    if (key === 'nullable' || key === 'example') continue;
    if (key === '$ref' && typeof value === 'string') out.$ref = value.replace(SCHEMA_REF, `openapi${SCHEMA_REF}`);
    else out[key] = toJsonSchema(value);
  }
  if ((schema as Schema).nullable === true) return { anyOf: [out, { type: 'null' }] };
  return out;
}

export function loadContract(): Contract {
  const document = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as Schema;
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv);
  ajv.addSchema({ components: toJsonSchema(document.components) }, 'openapi');
  const validators = new Map<string, ValidateFunction>();

  const operations: Operation[] = [];
  for (const [path, byMethod] of Object.entries(document.paths as Record<string, Record<string, Schema>>)) {
    for (const [method, op] of Object.entries(byMethod)) {
      operations.push({
        id: op.operationId,
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        secured: Array.isArray(op.security) && op.security.length > 0,
        admin: path.startsWith('/admin/'),
        parameters: (op.parameters ?? []) as Parameter[],
        body: op.requestBody?.content?.['application/json']?.schema,
        statuses: new Set(Object.keys(op.responses).map(Number)),
      });
    }
  }

  const resolve = (schema: Schema): Schema =>
    schema?.$ref ? (document.components.schemas[schema.$ref.slice(SCHEMA_REF.length)] as Schema) : schema;

  const validate = (operation: Operation, status: number, contentType: string, body: unknown): string | null => {
    const response = document.paths[operation.path][operation.method.toLowerCase()].responses[String(status)];
    if (!response?.content) return null;
    const mediaType = Object.keys(response.content).find((type) => contentType.startsWith(type));
    if (!mediaType) return `content-type ${contentType || '(none)'} is not one of ${Object.keys(response.content).join(', ')}`;
    if (!mediaType.includes('json')) return null;
    const key = `${operation.key} ${status} ${mediaType}`;
    let check = validators.get(key);
    if (!check) {
      check = ajv.compile(toJsonSchema(response.content[mediaType].schema) as Schema);
      validators.set(key, check);
    }
    return check(body) ? null : ajv.errorsText(check.errors, { dataVar: 'body' });
  };

  return { document, operations, resolve, validate };
}
