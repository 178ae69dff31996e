import { type Type } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { appSecurityHeaders } from '../../src/platform/http/security-headers';

/**
 * Starts a baseline Nest app (FastifyAdapter, a UUID per request, no logger) on PORT, loopback only,
 * and tells the bench it is ready; a failed start exits 1. With `appHeaders`, every answer carries
 * what every app answer carries: the app's security headers (the same object) and an `x-request-id`,
 * written by one onRequest hook as the app's are.
 */
export function serveNestBaseline(module: Type, options: { appHeaders: boolean; before?: () => Promise<void> }): void {
  (options.before?.() ?? Promise.resolve())
    .then(() => NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter({ genReqId: () => randomUUID() }), { logger: false }))
    .then((app) => {
      if (options.appHeaders) {
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
}
