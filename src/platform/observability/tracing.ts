import { context, trace } from '@opentelemetry/api';
import { getRPCMetadata, RPCType, suppressTracing } from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type * as HttpInstrumentationModule from '@opentelemetry/instrumentation-http';
import type * as IORedisInstrumentationModule from '@opentelemetry/instrumentation-ioredis';
import type * as MySQL2InstrumentationModule from '@opentelemetry/instrumentation-mysql2';
import type * as PinoInstrumentationModule from '@opentelemetry/instrumentation-pino';
import type * as NodeSdkModule from '@opentelemetry/sdk-node';
import { traceSqliteStatements } from '../database/sqlite-statement-spans';

// Probes and scrapes would be most of the traces and say nothing; their SQL and Redis calls are left out too.
const UNTRACED_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

let sdk: { shutdown(): Promise<void> } | undefined;

/**
 * Tracing runs when an OTLP endpoint (or another exporter) is configured through the standard
 * OpenTelemetry variables and OTEL_SDK_DISABLED is not true. Otherwise no SDK is loaded and every
 * `@opentelemetry/api` call in the app is the API's no-op.
 */
export function tracingConfigured(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporters === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || exporters);
}

/**
 * Starts OpenTelemetry's Node SDK (exporter, sampler, service name and resource from the OTEL_*
 * variables) with the instrumentations of what the app uses. It must run before the app's modules
 * are loaded (src/instrument.ts, main.ts's first import): the instrumentations patch mysql2, ioredis,
 * pino and node:http as they are required.
 * - Not instrumented by a library, and why (docs/operations.md, tracing): NestJS 12 (the maintained
 *   instrumentation covers < 12; the server span is named from Fastify's route instead) and kafkajs
 *   (its producer and consumer wrappers parent each message on whatever context is active, which the
 *   bus's combined sends and batch handlers would get wrong: messages are traced by the bus itself,
 *   src/platform/messaging/message-tracing.ts). SQLite (the embedded profile) gets its statement
 *   spans from `traceSqliteStatements`.
 */
export function startTracing(env: NodeJS.ProcessEnv): boolean {
  if (sdk || !tracingConfigured(env)) return false;
  // Loaded only here: with tracing off none of the SDK is required.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof NodeSdkModule;
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof HttpInstrumentationModule;
  const { MySQL2Instrumentation } = require('@opentelemetry/instrumentation-mysql2') as typeof MySQL2InstrumentationModule;
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof IORedisInstrumentationModule;
  const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino') as typeof PinoInstrumentationModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const instrumentations: Instrumentation[] = [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?', 1)[0]),
      // The app calls no HTTP service; the exporter's own requests are not traced.
      disableOutgoingRequestInstrumentation: true,
    }),
    new MySQL2Instrumentation(),
    new IORedisInstrumentation({ requireParentSpan: true }),
    // Log lines written inside a traced operation carry trace_id and span_id; no logs are sent over OTLP.
    new PinoInstrumentation({ disableLogSending: true }),
  ];
  const role = env.APP_ROLE?.trim();
  // One service per role (commerce-api, commerce-worker), so a trace shows which process did what.
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || (role && role !== 'all' ? `commerce-${role}` : 'commerce');
  const started = new NodeSDK({ serviceName, instrumentations });
  started.start();
  sdk = started;
  traceSqliteStatements();
  return true;
}

/** Flushes the spans still buffered (a process that ends would lose its last ones). */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown();
}

export function tracingStarted(): boolean {
  return sdk !== undefined;
}

/**
 * Names the request's server span by its route (`POST /orders/:id/pay`) and tags it with the
 * request id, so a trace is found by either. Called from the app's onRequest hook.
 */
export function describeServerSpan(route: string | undefined, requestId: string): void {
  const metadata = getRPCMetadata(context.active());
  if (metadata?.type === RPCType.HTTP && route) metadata.route = route;
  trace.getActiveSpan()?.setAttribute('http.request.id', requestId);
}

/** Runs background work (the outbox relay's polls, the pending-order sweep) without spans of its own. */
export function untraced<T>(work: () => T): T {
  return context.with(suppressTracing(context.active()), work);
}
