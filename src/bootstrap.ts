import { type ApplicationConfig, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { type AppConfig } from './platform/config/app-config';
import { ProblemFilter } from './platform/http/problem.filter';
import { createValidationPipe } from './platform/http/validation';
import { MessageBus } from './platform/messaging/message-bus';
import { ConsumerGroups, MessageBusTransport } from './platform/messaging/message-bus.transport';
import { Metrics } from './platform/observability/metrics';

/**
 * Builds the HTTP application for a config: used by main.ts, the tests and the benchmarks, so
 * all three run exactly the same app.
 */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: 1024 * 1024, return503OnClosing: true, forceCloseConnections: 'idle' });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  dropPassThroughInterceptors(app);
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(createValidationPipe());
  recordHttpMetrics(app);
  setUpApiDocs(app);
  app.enableShutdownHooks();
  connectConsumers(app);
  // Consumers start once the modules are initialised (topics declared, stores connected), as before listen().
  await app.init();
  await app.startAllMicroservices();
  return app;
}

/**
 * nestjs-cls always registers a global pass-through interceptor (a plain object) when its own
 * interceptor is not mounted; we mount its middleware instead. Any global interceptor makes Nest
 * run every route through an RxJS chain and two `AsyncResource.bind` calls, which on Node 20 cost
 * about a quarter of a simple GET's CPU (docs/benchmarks.md). Our own interceptors are classes,
 * bound per route, so only plain-object ones are dropped.
 */
function dropPassThroughInterceptors(app: NestFastifyApplication): void {
  const config = (app as unknown as { config?: ApplicationConfig }).config;
  if (typeof config?.getGlobalInterceptors !== 'function') {
    app.get(Logger).warn('Nest application config not reachable; global pass-through interceptors stay mounted');
    return;
  }
  const interceptors = config.getGlobalInterceptors();
  const kept = interceptors.filter((interceptor) => Object.getPrototypeOf(interceptor) !== Object.prototype);
  interceptors.splice(0, interceptors.length, ...kept);
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
    .addHook('onResponse', async (request, reply) => {
      // The route pattern, not the URL, keeps label cardinality bounded.
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
      metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });
}

function setUpApiDocs(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Commerce API')
      .setDescription('Products, points, orders and first-come coupons. Errors are application/problem+json.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
