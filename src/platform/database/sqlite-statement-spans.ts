import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

/**
 * A span per statement of the embedded profile's SQLite, shaped like mysql2's (no instrumentation
 * library covers better-sqlite3): TypeORM's SQLite query runner wrapped once, by the tracing start-up
 * (platform/observability/tracing.ts) and only when tracing is on. A statement outside any traced
 * operation gets no span, as with mysql2 under the relay's untraced polls.
 */
export function traceSqliteStatements(): void {
  let runner: { prototype: { query: (this: unknown, query: string, ...rest: unknown[]) => Promise<unknown> } };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    runner = (require('typeorm/driver/better-sqlite3/BetterSqlite3QueryRunner') as { BetterSqlite3QueryRunner: typeof runner })
      .BetterSqlite3QueryRunner;
  } catch {
    return;
  }
  const tracer = trace.getTracer('commerce-sqlite');
  const original = runner.prototype.query;
  runner.prototype.query = function tracedQuery(this: unknown, query: string, ...rest: unknown[]) {
    const parent = trace.getSpan(context.active());
    if (!parent) return original.call(this, query, ...rest);
    const operation = /^\s*(\w+)/.exec(query)?.[1]?.toUpperCase() ?? 'SQL';
    return tracer.startActiveSpan(
      operation,
      { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'sqlite', 'db.query.text': query, 'db.operation.name': operation } },
      async (span) => {
        try {
          return await original.call(this, query, ...rest);
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
}
