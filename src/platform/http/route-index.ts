import type { FastifyInstance, HTTPMethods } from 'fastify';

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Asks fastify's router which methods a path answers to, so that a request for a known path with
 * a method it does not have is answered 405 with `Allow` instead of 404.
 */
export class RouteIndex {
  private instance?: FastifyInstance;

  attach(instance: FastifyInstance): void {
    this.instance = instance;
  }

  /** The methods the path answers to, or an empty list when no route has the path. */
  allowedMethods(url: string): string[] {
    const instance = this.instance;
    if (!instance) return [];
    const path = url.split('?')[0];
    return METHODS.filter((method) => instance.findRoute({ method, url: path }) !== null);
  }
}
