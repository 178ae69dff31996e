import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { codeForStatus, problemOf } from './problem.filter';

/**
 * Answers the errors fastify and Node raise before a request reaches Nest (a path parameter over
 * the router's limit: 414; headers over Node's limit: 431; an unparseable URL: 400) as
 * problem+json like every other error. Spread into the FastifyAdapter options.
 */
export const frameworkErrorOptions: Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> = {
  frameworkErrors(error: Error & { statusCode?: number }, request: FastifyRequest, reply: FastifyReply) {
    const status = error.statusCode ?? 400;
    const problem = { ...problemOf(codeForStatus(status), error.message), instance: request.url };
    void reply.status(status).type('application/problem+json').send(problem);
  },
  clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const detail =
      status === 431
        ? 'The request headers exceed the allowed size'
        : status === 408
          ? 'The request took too long to arrive'
          : 'The request could not be parsed';
    const body = JSON.stringify(problemOf(codeForStatus(status), detail));
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  },
};
