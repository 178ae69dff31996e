import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export type Role = 'user' | 'admin';

/** Who made the request, taken from the verified token (never from the body). */
export interface AuthenticatedUser {
  id: number;
  role: Role;
}

export const IS_PUBLIC = 'auth:isPublic';
export const ROLES = 'auth:roles';

/** Marks a route that needs no token (signup, login, product and coupon reads, health, metrics). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/**
 * The roles that may call this handler (or every handler of a controller). Checked by the global
 * AuthGuard from this metadata, never from the URL; routes under /admin must carry
 * `@Roles('admin')` and only they may (AdminRouteAudit refuses to boot otherwise).
 */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES, roles);

/** The authenticated caller of a guarded route. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): AuthenticatedUser => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthenticatedUser }>();
  return request.user!;
});
