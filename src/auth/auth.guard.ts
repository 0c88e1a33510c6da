import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest as Request } from 'fastify';
import { AppError } from '@app/common/errors/app-error';
import { AUTH_METADATA, PASSWORD_CHANGE_METADATA, type AuthRequirement } from './auth.decorators';
import { AuthService } from './auth.service';
import type { Principal } from './principal';

/**
 * The one guard (global). Every handler declares @Public, @Roles(...) or @TerminalAuth next to
 * itself; a handler that declares nothing is refused, so a forgotten declaration fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const rule = this.reflector.getAllAndOverride<AuthRequirement | undefined>(AUTH_METADATA, [context.getHandler(), context.getClass()]);
    if (!rule) throw new AppError('AUTH.FORBIDDEN', 'route declares no access rule');
    if (rule.type === 'public') return true;
    if (rule.type === 'terminal') {
      const key = req.headers['x-api-key'];
      if (typeof key !== 'string' || !key) throw new AppError('AUTH.INVALID_API_KEY');
      const terminal = await this.auth.verifyApiKey(key);
      const token = bearerOf(req);
      // A copy: the verified key's principal is cached and shared between requests.
      if (token) req.principal = { ...terminal, clerk: await this.auth.verifyClerk(token, terminal) };
      else if (terminal.requiresClerk && !rule.clerkOptional) throw new AppError('TERMINAL.CLERK_REQUIRED');
      else req.principal = terminal;
      return true;
    }
    const token = bearerOf(req);
    if (!token) throw new AppError('AUTH.UNAUTHENTICATED');
    const duringPasswordChange = this.reflector.get<boolean | undefined>(PASSWORD_CHANGE_METADATA, context.getHandler()) === true;
    const principal = await this.auth.verifyAccessToken(token, { duringPasswordChange });
    if (!rule.roles.includes(principal.role)) throw new AppError('AUTH.FORBIDDEN');
    req.principal = principal;
    return true;
  }
}

function bearerOf(req: Request): string | null {
  const header = req.headers.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m ? m[1] : null;
}
