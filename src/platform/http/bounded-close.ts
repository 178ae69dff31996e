import type { FastifyInstance } from 'fastify';

/** How long closing (SIGTERM, `app.close()`) waits for requests in flight before it closes every connection left. */
export const CLOSE_DRAIN_MS = 10_000;

/**
 * Bounds closing the HTTP server. `server.close()` waits for every connection to end: Node closes
 * the idle keep-alive ones, and stops its header timeouts, so a connection that has not sent a
 * whole request (a client's retransmission still on its way, a load balancer's spare connection)
 * kept `app.close()` waiting without end. Requests in flight get `drainMs` to finish (each is
 * bounded by its own dependency budgets); then every connection left is closed.
 */
export function boundClose(fastify: FastifyInstance, drainMs = CLOSE_DRAIN_MS): void {
  fastify.addHook('preClose', (done) => {
    const server = fastify.server;
    const timer = setTimeout(() => server.closeAllConnections(), drainMs).unref();
    server.once('close', () => clearTimeout(timer));
    done();
  });
}
