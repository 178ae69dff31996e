import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../http/problem-catalog';
import { AuthenticatedUser, IS_PUBLIC, Role, ROLES } from './authenticated-user';
import { TokenService } from './token.service';

/**
 * Global guard: every route needs a valid bearer token unless marked @Public(), and a route with
 * @Roles(...) needs one of those roles. Both come from the handler's metadata, so a global prefix,
 * versioning or an odd spelling of the URL cannot change who may call what.
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
    const targets = [context.getHandler(), context.getClass()];
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets);
    if (isPublic && !roles) return true;

    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const user = match ? await this.tokens.verify(match[1]) : null;
    if (!user) throw new DomainError('UNAUTHORIZED', 'A valid bearer token is required');
    if (roles && !roles.includes(user.role)) throw new DomainError('FORBIDDEN', `This endpoint needs the ${roles.join(' or ')} role`);
    request.user = user;
    return true;
  }
}
