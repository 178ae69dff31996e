import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';
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

  // Metadata never changes after start-up: read once per handler, not on every request.
  private readonly access = new WeakMap<object, WeakMap<object, { roles?: Role[]; open: boolean }>>();

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const { roles, open } = this.accessOf(context.getHandler(), context.getClass());
    if (open) return true;
    return this.authenticate(context.switchToHttp().getRequest(), roles);
  }

  private accessOf(handler: object, controller: object): { roles?: Role[]; open: boolean } {
    // By controller, then handler: a subclass may inherit a handler under other class-level metadata.
    let byHandler = this.access.get(controller);
    if (!byHandler) this.access.set(controller, (byHandler = new WeakMap()));
    let access = byHandler.get(handler);
    if (!access) {
      const targets = [handler, controller] as Parameters<Reflector['getAllAndOverride']>[1];
      const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets);
      const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets);
      access = { roles, open: Boolean(isPublic && !roles) };
      byHandler.set(handler, access);
    }
    return access;
  }

  private async authenticate(request: FastifyRequest & { user?: AuthenticatedUser }, roles: Role[] | undefined): Promise<boolean> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const user = match ? await this.tokens.verify(match[1]) : null;
    if (!user) throw new DomainError('UNAUTHORIZED', 'A valid bearer token is required');
    if (roles && !roles.includes(user.role)) throw new DomainError('FORBIDDEN', `This endpoint needs the ${roles.join(' or ')} role`);
    request.user = user;
    return true;
  }
}
