import {
  context,
  type Context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { tracingStarted } from '../observability/tracing';
import type { IncomingMessage, OutgoingMessage } from './message-bus';

const tracer = trace.getTracer('commerce-messaging');

/**
 * The W3C trace context (`traceparent`, `tracestate`) of the current operation as message headers,
 * empty when nothing is traced. The outbox stores it with the event, in the transaction of the
 * state change, so the event's publish and its consumers continue the trace of the request that
 * recorded it, whenever and wherever the relay runs.
 */
export function traceContextHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!tracingStarted()) return headers;
  propagation.inject(context.active(), headers);
  return headers;
}

/**
 * Publishes with one PRODUCER span per message (`send <topic>`), a child of the trace context the
 * message carries (an outbox event: the request that recorded it) or else of the caller's; the
 * message leaves with that span's context in its headers. Nothing is added when nothing is traced.
 */
export async function publishTraced(messages: OutgoingMessage[], publish: (messages: OutgoingMessage[]) => Promise<void>): Promise<void> {
  if (!tracingStarted()) return publish(messages);
  const spans: Span[] = [];
  const traced = messages.map((message) => {
    const parent = message.headers?.traceparent ? propagation.extract(ROOT_CONTEXT, message.headers) : context.active();
    const span = tracer.startSpan(
      `send ${message.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': message.topic,
          'messaging.kafka.message.key': message.key,
          ...(message.headers?.['event-id'] ? { 'messaging.message.id': message.headers['event-id'] } : {}),
        },
      },
      parent,
    );
    if (!span.isRecording()) return message;
    spans.push(span);
    const headers = { ...(message.headers ?? {}) };
    propagation.inject(trace.setSpan(parent, span), headers);
    return { ...message, headers };
  });
  if (spans.length === 0) return publish(messages);
  try {
    await publish(traced);
  } catch (error) {
    for (const span of spans) failed(span, error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}

/**
 * Runs a consumer's handling of a batch inside a CONSUMER span (`process <topic>`). OpenTelemetry's
 * messaging conventions link a batch's span to each message's creation context; where every
 * message of the batch carries the same trace (one message, or one order's events) the span is a
 * child of it instead, so the handling, its SQL and Redis calls sit in that trace. A message with
 * no trace context (another producer's) starts a new trace.
 */
export async function handleTraced<T>(group: string, messages: IncomingMessage[], handle: () => Promise<T>): Promise<T> {
  if (!tracingStarted() || messages.length === 0) return handle();
  const contexts = messages.map((message) =>
    message.headers.traceparent ? propagation.extract(ROOT_CONTEXT, message.headers) : undefined,
  );
  const traceIds = new Set(contexts.map((ctx) => (ctx ? trace.getSpanContext(ctx)?.traceId : undefined)));
  const shared = traceIds.size === 1 ? contexts[0] : undefined;
  const links: Link[] = shared
    ? []
    : contexts.flatMap((ctx) => {
        const spanContext = ctx ? trace.getSpanContext(ctx) : undefined;
        return spanContext ? [{ context: spanContext }] : [];
      });
  const parent: Context = shared ?? ROOT_CONTEXT;
  const first = messages[0];
  const span = tracer.startSpan(
    `process ${first.topic}`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': first.topic,
        'messaging.destination.partition.id': String(first.partition),
        'messaging.consumer.group.name': group,
        'messaging.batch.message_count': messages.length,
        ...(messages.length === 1 && first.headers['event-id'] ? { 'messaging.message.id': first.headers['event-id'] } : {}),
        ...(messages.length === 1 ? { 'messaging.kafka.offset': Number(first.offset) } : {}),
        ...(messages.length === 1 && first.key !== null ? { 'messaging.kafka.message.key': first.key } : {}),
      },
    },
    parent,
  );
  if (!span.isRecording()) return handle();
  try {
    return await context.with(trace.setSpan(parent, span), handle);
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
