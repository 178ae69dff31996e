import { DiscoveryService, MetadataScanner, NestFactory, Reflector } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { LogController } from 'fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { type AppConfig, runsBackgroundWork, servesHttpApi } from './platform/config/app-config';
import { completeContract } from './platform/http/api-contract';
import { boundClose } from './platform/http/bounded-close';
import { frameworkErrorOptions } from './platform/http/framework-errors';
import { installJsonBodyParser } from './platform/http/json-body';
import { ProblemFilter, problemOf } from './platform/http/problem.filter';
import { RouteIndex } from './platform/http/route-index';
import { appSecurityHeaders } from './platform/http/security-headers';
import { listRoutes } from './platform/http/routes';
import { createValidationPipe } from './platform/http/validation';
import { MessageBus } from './platform/messaging/message-bus';
import { ConsumerGroups, MessageBusTransport } from './platform/messaging/message-bus.transport';
import { NestPinoLogger, appLogger, logEveryRequest, withRequestLogger } from './platform/observability/app-logger';
import { Metrics } from './platform/observability/metrics';
import { requestIdOf } from './platform/observability/request-id';
import { describeServerSpan, tracingStarted } from './platform/observability/tracing';

/**
 * The listen backlog: connections the kernel completes before the app accepts them (capped by
 * net.core.somaxconn). With Node's default, 511, a coupon drop's 2,000 connections at once on a busy
 * machine overflowed it: the kernel drops those handshakes, and a client waits for retransmissions
 * (seconds to a minute) or is reset.
 */
export const LISTEN_BACKLOG = 4096;

export interface CreateAppOptions {
  /** Where the log lines go instead of stdout (tests that read them). */
  logDestination?: DestinationStream;
}

/**
 * Builds the HTTP application for a config: used by main.ts, the tests and the benchmarks, so
 * all three run exactly the same app.
 */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  appLogger(config, options.logDestination); // the one logger of this config, before anything logs
  const adapter = new FastifyAdapter({
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    trustProxy: config.trustProxy,
    genReqId: requestIdOf,
    loggerInstance: appLogger(config),
    // One access line instead of Fastify's two: logEveryRequest writes it.
    logController: new LogController({ disableRequestLogging: true }),
    ...frameworkErrorOptions,
  });
  logEveryRequest(adapter.getInstance(), appLogger(config));
  boundClose(adapter.getInstance());
  installJsonBodyParser(adapter.getInstance());
  const routes = new RouteIndex();
  routes.attach(adapter.getInstance());
  // Nest's own start-up lines wait in a buffer and reach the app's logger (JSON) once it exists; when
  // start-up fails they are dropped and main.ts prints the failure as one line instead.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    autoFlushLogs: false,
    abortOnError: false,
    bodyParser: false, // JSON only, through installJsonBodyParser
  });
  app.useLogger(app.get(NestPinoLogger));
  app.flushLogs();
  answerHeaders(app, config);
  if (!servesHttpApi(config)) answerOperationsOnly(app);
  app.useGlobalFilters(new ProblemFilter(routes, config.retryAfter.unavailableSeconds));
  app.useGlobalPipes(createValidationPipe());
  recordHttpMetrics(app);
  if (servesHttpApi(config)) setUpApiDocs(app);
  app.enableShutdownHooks();
  if (runsBackgroundWork(config)) connectConsumers(app);
  // Consumers start once the modules are initialised (topics declared, stores connected), as before listen().
  await app.init();
  await app.startAllMicroservices();
  return app;
}

/**
 * On every request, one `onRequest` hook (Fastify runs it for errors and 404s too): the request id
 * and helmet's security headers on the response, and the request's logger as the one Nest's
 * `Logger` writes through while the request runs (`withRequestLogger`); with tracing on, the
 * request's span named by its route. CORS stays off unless
 * CORS_ORIGINS lists origins.
 * helmet's headers do not depend on the request, so they are computed once here and written into
 * the reply as one object, rather than running helmet's middleware (a dozen validated `setHeader`
 * calls) on every request (docs/benchmarks.md, the request path).
 */
function answerHeaders(app: NestFastifyApplication, config: AppConfig): void {
  const securityHeaders = appSecurityHeaders({ crossOrigin: config.corsOrigins.length > 0 });
  const tracing = tracingStarted();
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      reply.headers(securityHeaders);
      reply.header('x-request-id', request.id);
      if (tracing) describeServerSpan(request.routeOptions.url, request.id);
      withRequestLogger(request.log, done);
    });
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'POST', 'PATCH'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id'],
      exposedHeaders: ['location', 'retry-after', 'x-request-id', 'idempotent-replayed'],
      maxAge: 600,
    });
  }
}

/** The operations endpoints a worker (APP_ROLE=worker) answers; every other request is a 404. */
const WORKER_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * APP_ROLE=worker: the process runs the background work and answers only its probes and metrics,
 * so a misrouted client request is refused before any guard, pipe or database work.
 */
function answerOperationsOnly(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      const queryAt = request.url.indexOf('?');
      if (WORKER_ROUTES.has(queryAt === -1 ? request.url : request.url.slice(0, queryAt))) return done();
      const problem = problemOf(
        'NOT_FOUND',
        `This is a worker instance (APP_ROLE=worker): it answers ${[...WORKER_ROUTES].join(', ')} only`,
      );
      void reply
        .status(404)
        .type('application/problem+json')
        .send({ ...problem, instance: request.url });
    });
}

/**
 * The `@EventPattern` handlers of every module, served by the profile's MessageBus: Kafka's consumer
 * runner in the full profile, the in-process bus in the embedded one. Not inheriting the HTTP
 * app's config keeps its pipes and problem+json filter off messages.
 */
function connectConsumers(app: NestFastifyApplication): void {
  app.connectMicroservice<MicroserviceOptions>({ strategy: new MessageBusTransport(app.get(MessageBus), app.get(ConsumerGroups)) });
}

function recordHttpMetrics(app: NestFastifyApplication): void {
  const metrics = app.get(Metrics);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      // The route pattern, not the URL, keeps label cardinality bounded.
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
      metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      done(); // a callback hook: an async one costs a promise per request
    });
}

/** The OpenAPI document is the contract: docs/openapi.json is this document, byte for byte (a test checks). */
export function buildApiDocument(app: NestFastifyApplication) {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Commerce API')
      .setDescription(
        'Products, points, orders and first-come coupons. Every error is application/problem+json with a stable `code` ' +
          '(docs/errors.md). Authenticated operations take `Authorization: Bearer <accessToken>` from POST /auth/login.',
      )
      .setVersion('1.0.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
      .addTag('auth', 'Sign-up, login and the caller')
      .addTag('products', 'The catalogue and the top sellers')
      .addTag('points', "The caller's point balance and its history")
      .addTag('orders', 'Orders: create, pay, cancel')
      .addTag('coupons', 'First-come coupons: issue, status, wallet')
      .addTag('admin', 'Catalogue and campaign management (role admin)')
      .addTag('operations', 'Health probes and metrics')
      .build(),
    { operationIdFactory: (_controller, method) => method },
  );
  return completeContract(document, listRoutes(app.get(DiscoveryService), app.get(MetadataScanner)), app.get(Reflector));
}

function setUpApiDocs(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, buildApiDocument(app), { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
