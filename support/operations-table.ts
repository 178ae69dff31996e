/** The operations table of docs/api.md, rendered from the OpenAPI document so the two cannot drift. */
type Response = {
  description?: string;
  content?: Record<string, { schema?: { allOf?: Array<{ properties?: { code?: { enum?: string[] } } }> } }>;
};
type Operation = {
  operationId: string;
  summary: string;
  security?: unknown[];
  responses: Record<string, Response>;
  parameters?: Array<{ name: string }>;
};

export const TABLE_START = '<!-- operations:start (npm run openapi writes this table from docs/openapi.json) -->';
export const TABLE_END = '<!-- operations:end -->';

function codesOf(response: Response): string[] {
  const schema = response.content?.['application/problem+json']?.schema;
  return schema?.allOf?.[1]?.properties?.code?.enum ?? (schema ? ['any code'] : []);
}

export function operationsTable(document: { paths: Record<string, Record<string, Operation>> }): string {
  const rows = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => {
      const statuses = Object.keys(operation.responses);
      const success = statuses.filter((status) => Number(status) < 400).join(', ');
      const errors = statuses
        .filter((status) => Number(status) >= 400)
        .map((status) => {
          const codes = codesOf(operation.responses[status]);
          return codes.length > 0 ? `${status} ${codes.map((code) => `\`${code}\``).join(' ')}` : status;
        })
        .join('<br>');
      const auth = operation.security?.length ? 'bearer' : 'public';
      const idempotent = operation.parameters?.some((parameter) => parameter.name === 'Idempotency-Key') ? ' (Idempotency-Key)' : '';
      return `| ${method.toUpperCase()} | \`${path}\` | \`${operation.operationId}\` | ${operation.summary}${idempotent} | ${auth} | ${success} | ${errors} |`;
    }),
  );
  return [
    TABLE_START,
    '| method | path | operationId | summary | auth | success | errors (status and codes) |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    TABLE_END,
  ].join('\n');
}

/** `text` with its operations table replaced by the one for `document`. */
export function withOperationsTable(text: string, document: Parameters<typeof operationsTable>[0]): string {
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error('docs/api.md has no operations table markers');
  return `${text.slice(0, start)}${operationsTable(document)}${text.slice(end + TABLE_END.length)}`;
}
