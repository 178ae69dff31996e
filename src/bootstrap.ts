import { ApplicationConfig, NestFactory } from '@nestjs/core';
import helmet from '@fastify/helmet';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './platform/config/app-config';
import { ProblemFilter } from './platform/http/problem.filter';
import { createValidationPipe } from './platform/http/validation';
import { Metrics } from './platform/observability/metrics';

/**
 * Builds the HTTP application for a config: used by main.ts, the tests and the benchmarks, so
 * all three run exactly the same app.
 */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    trustProxy: config.trustProxy,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  await secureHeaders(app, config);
  dropPassThroughInterceptors(app);
  app.useGlobalFilters(new ProblemFilter());
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

/**
 * Helmet's headers on every response. The CSP allows what Swagger UI at /docs needs (its own
 * scripts and styles, inline styles, data: images) and nothing from elsewhere. CORS stays off
 * unless CORS_ORIGINS lists origins.
 */
async function secureHeaders(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        // Plain http on localhost must still load /docs' own scripts.
        upgradeInsecureRequests: null,
      },
    },
    // An API answers JSON to other origins' fetches only when CORS allows it; CORP would block even those.
    crossOriginResourcePolicy: config.corsOrigins.length > 0 ? { policy: 'cross-origin' } : { policy: 'same-origin' },
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
