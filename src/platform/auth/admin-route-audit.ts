import { Injectable, OnModuleInit, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Role, ROLES } from './authenticated-user';

export interface RouteRoles {
  method: string;
  path: string;
  roles: Role[] | undefined;
}

/** Every controller route as `METHOD /path` with the roles its metadata declares. */
export function listRoutes(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector): RouteRoles[] {
  return discovery.getControllers().flatMap(({ metatype, instance }) => {
    if (!metatype || !instance) return [];
    const base = pathsOf(Reflect.getMetadata(PATH_METADATA, metatype));
    return scanner.getAllMethodNames(Object.getPrototypeOf(instance)).flatMap((name) => {
      const handler = (instance as Record<string, unknown>)[name] as object;
      const own = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (own === undefined) return [];
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const roles = reflector.getAllAndOverride<Role[] | undefined>(ROLES, [handler as () => void, metatype]);
      return base.flatMap((prefix) => pathsOf(own).map((path) => ({ method, path: joinPath(prefix, path), roles })));
    });
  });
}

/** Admin routes and their role checks must agree; a mismatch is a start-up failure, not a hole. */
export function findRoleMismatches(routes: RouteRoles[]): string[] {
  return routes.flatMap(({ method, path, roles }) => {
    const underAdmin = /^\/admin(\/|$)/i.test(path);
    const admin = roles?.includes('admin') ?? false;
    if (underAdmin && (!admin || roles!.length !== 1)) return [`${method} ${path} is under /admin but lacks @Roles('admin')`];
    if (!underAdmin && admin) return [`${method} ${path} has @Roles('admin') but is not under /admin`];
    return [];
  });
}

@Injectable()
export class AdminRouteAudit implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const mismatches = findRoleMismatches(listRoutes(this.discovery, this.scanner, this.reflector));
    if (mismatches.length > 0) throw new Error(`Refusing to start: ${mismatches.join('; ')}`);
  }
}

function pathsOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return ['/'];
  return Array.isArray(value) ? value : [value];
}

function joinPath(prefix: string, path: string): string {
  const joined = `/${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}
