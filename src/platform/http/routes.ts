import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { type DiscoveryService, type MetadataScanner } from '@nestjs/core';

export interface RouteHandler {
  method: string;
  /** `/orders/:id/pay`, as Nest registers it (no global prefix is used). */
  path: string;
  handler: object;
  controller: object;
}

/** Every controller route with its handler and controller, for checks that read their metadata. */
export function listRoutes(discovery: DiscoveryService, scanner: MetadataScanner): RouteHandler[] {
  return discovery.getControllers().flatMap(({ metatype, instance }) => {
    if (!metatype || !instance) return [];
    const bases = pathsOf(Reflect.getMetadata(PATH_METADATA, metatype) as string | string[] | undefined);
    return scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object).flatMap((name) => {
      const handler = (instance as Record<string, unknown>)[name] as object;
      const own = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (own === undefined) return [];
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      return bases.flatMap((base) => pathsOf(own).map((path) => ({ method, path: joinPath(base, path), handler, controller: metatype })));
    });
  });
}

function pathsOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return ['/'];
  return Array.isArray(value) ? value : [value];
}

function joinPath(prefix: string, path: string): string {
  const joined = `/${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}
