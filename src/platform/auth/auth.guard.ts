import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../http/problem-catalog';
import { AuthenticatedUser, IS_PUBLIC } from './authenticated-user';
import { TokenService } from './token.service';

/**
 * Global guard: every route needs a valid bearer token unless marked @Public(), and every route
 * under /admin needs the admin role. Keying admin on the path means a new admin route cannot
 * forget its check.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthenticatedUser }>();
    const isAdminRoute = (request.routeOptions.url ?? request.url).startsWith('/admin/');
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic && !isAdminRoute) return true;

    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const user = match ? await this.tokens.verify(match[1]) : null;
    if (!user) throw new DomainError('UNAUTHORIZED', 'A valid bearer token is required');
    if (isAdminRoute && user.role !== 'admin') throw new DomainError('FORBIDDEN', 'This endpoint needs the admin role');
    request.user = user;
    return true;
  }
}
