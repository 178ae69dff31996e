import { ApplicationConfig, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './platform/config/app-config';
import { frameworkErrorOptions } from './platform/http/framework-errors';
import { installJsonBodyParser } from './platform/http/json-body';
import { ProblemFilter } from './platform/http/problem.filter';
import { RouteIndex } from './platform/http/route-index';
import { createValidationPipe } from './platform/http/validation';
import { Metrics } from './platform/observability/metrics';

/**
 * Builds the HTTP application for a config: used by main.ts, the tests and the benchmarks, so
 * all three run exactly the same app.
 */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: 1024 * 1024, return503OnClosing: true, forceCloseConnections: 'idle', ...frameworkErrorOptions });
  installJsonBodyParser(adapter.getInstance());
  const routes = new RouteIndex();
  routes.attach(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    abortOnError: false,
    bodyParser: false, // JSON only, through installJsonBodyParser
  });
  app.useLogger(app.get(Logger));
  dropPassThroughInterceptors(app);
  app.useGlobalFilters(new ProblemFilter(routes));
  app.useGlobalPipes(createValidationPipe());
  recordHttpMetrics(app);
  setUpApiDocs(app);
  app.enableShutdownHooks();
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
