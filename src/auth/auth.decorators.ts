import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest as Request } from 'fastify';
import { ApiErrors } from '@app/common/errors/api-errors';
import { PUBLIC_EXTENSION } from '@app/openapi/document';
import type { Role } from './auth.entities';
import type { Principal, PublicContext, RequestContext } from './principal';

export const AUTH_METADATA = 'xinyi:auth';

export type AuthRequirement = { type: 'public' } | { type: 'staff'; roles: Role[] } | { type: 'terminal'; clerkOptional?: boolean };

/** No login needed (health, public board, objections). */
export const Public = () => applyDecorators(SetMetadata(AUTH_METADATA, { type: 'public' } satisfies AuthRequirement), ApiExtension(PUBLIC_EXTENSION, true));

/** A staff JWT with one of these roles; scope is checked in the service. The document lists the roles as `x-roles`. */
export const Roles = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(AUTH_METADATA, { type: 'staff', roles } satisfies AuthRequirement),
    ApiBearerAuth('staff'),
    ApiErrors('AUTH.UNAUTHENTICATED', 'AUTH.INVALID_TOKEN', 'AUTH.FORBIDDEN'),
    ApiExtension('x-roles', roles),
  );

export const PASSWORD_CHANGE_METADATA = 'xinyi:during-password-change';

/** Reachable by a staff user whose one-time password is not yet changed (else AUTH.PASSWORD_CHANGE_REQUIRED). */
export const DuringPasswordChange = () => SetMetadata(PASSWORD_CHANGE_METADATA, true);

/**
 * A shop terminal's API key in `x-api-key`, and, with it, the signed-in shop clerk's bearer token
 * if there is one (checked: a clerk of the terminal's shop). A paired till (requiresClerk) is
 * refused without a clerk, except on routes marked `clerkOptional` (the till asking who it is).
 */
export const TerminalAuth = (opts: { clerkOptional?: boolean } = {}) =>
  applyDecorators(
    SetMetadata(AUTH_METADATA, { type: 'terminal', clerkOptional: opts.clerkOptional } satisfies AuthRequirement),
    ApiSecurity('terminal'),
    ApiErrors('AUTH.INVALID_API_KEY', 'TERMINAL.CLERK_REQUIRED', 'AUTH.INVALID_TOKEN', 'AUTH.OUT_OF_SCOPE'),
  );

type AuthedRequest = Request & { id?: string; principal?: Principal };

/** `@Ctx() ctx: RequestContext` — the principal the guard attached, and the request id. */
export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): RequestContext => {
  const req = context.switchToHttp().getRequest<AuthedRequest>();
  if (!req.principal) throw new Error('Ctx used on a route without authentication');
  return { principal: req.principal, requestId: String(req.id ?? '') };
});

export const PublicCtx = createParamDecorator((_: unknown, context: ExecutionContext): PublicContext => {
  const req = context.switchToHttp().getRequest<AuthedRequest>();
  return { requestId: String(req.id ?? ''), clientIp: req.ip ?? 'unknown' };
});
