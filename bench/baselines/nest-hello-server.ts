// Baseline: the smallest NestJS 11 app on Fastify (one controller, no logger), to price the framework itself.
// With BASELINE_APP_HEADERS=1 every answer also carries what every app answer carries and a hello
// does not: the app's security headers (the same object) and an `x-request-id`, written by one
// onRequest hook as the app's is. That prices the headers themselves.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { appSecurityHeaders } from '../../src/platform/http/security-headers';

@Controller()
class HelloController {
  @Get()
  hello(): { hello: string } {
    return { hello: 'world' };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

NestFactory.create<NestFastifyApplication>(HelloModule, new FastifyAdapter({ genReqId: () => randomUUID() }), { logger: false })
  .then((app) => {
    if (process.env.BASELINE_APP_HEADERS === '1') {
      const headers = appSecurityHeaders({ crossOrigin: false });
      app
        .getHttpAdapter()
        .getInstance()
        .addHook('onRequest', (request, reply, done) => {
          reply.headers(headers);
          reply.header('x-request-id', request.id);
          done();
        });
    }
    return app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  })
  .then(
    () => process.send?.('ready'),
    (error: Error) => {
      console.error(error);
      process.exit(1);
    },
  );
