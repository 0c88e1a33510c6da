import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
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
      // A till where a shop clerk is signed in sends the clerk's token too: the redemption's
      // audit row then names the clerk. A token of anyone else is refused, never ignored.
      if (req.headers.authorization === undefined) {
        req.principal = terminal;
        return true;
      }
      const clerk = await this.staffFrom(req.headers.authorization);
      if (clerk.role !== 'shop_clerk' || clerk.shopId !== terminal.shopId) throw new AppError('AUTH.OUT_OF_SCOPE', '登录的店员不属于本终端的超市 / the signed-in clerk is not of this terminal\'s shop');
      req.principal = { ...terminal, clerkId: clerk.id };
      return true;
    }
    const duringPasswordChange = this.reflector.get<boolean | undefined>(PASSWORD_CHANGE_METADATA, context.getHandler()) === true;
    const principal = await this.staffFrom(req.headers.authorization, { duringPasswordChange });
    if (!rule.roles.includes(principal.role)) throw new AppError('AUTH.FORBIDDEN');
    req.principal = principal;
    return true;
  }

  private staffFrom(header: string | undefined, opts?: { duringPasswordChange?: boolean }) {
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw new AppError('AUTH.UNAUTHENTICATED');
    return this.auth.verifyAccessToken(m[1], opts);
  }
}
