import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { listRoutes } from '../http/routes';
import { Role, ROLES } from './authenticated-user';

export interface RouteRoles {
  method: string;
  path: string;
  roles: Role[] | undefined;
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
    const routes = listRoutes(this.discovery, this.scanner).map(({ method, path, handler, controller }) => ({
      method,
      path,
      roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, [handler as () => void, controller as () => void]),
    }));
    const mismatches = findRoleMismatches(routes);
    if (mismatches.length > 0) throw new Error(`Refusing to start: ${mismatches.join('; ')}`);
  }
}
