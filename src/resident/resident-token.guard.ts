import { applyDecorators, createParamDecorator, Injectable, SetMetadata, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import type { FastifyRequest as Request } from 'fastify';
import { AUTH_METADATA, type AuthRequirement } from '@app/auth/auth.decorators';
import { ApiErrors } from '@app/common/errors/api-errors';
import type { TokenHolder } from './resident.repository';
import { ResidentPageService } from './resident-page.service';
import { RESIDENT_TOKEN_HEADER } from './resident-token';

type ResidentRequest = Request & { resident?: TokenHolder };

/** The resident token in `x-resident-token`: the request is about that one resident only. */
@Injectable()
export class ResidentTokenGuard implements CanActivate {
  constructor(private readonly page: ResidentPageService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<ResidentRequest>();
    req.resident = await this.page.authenticate(req.headers[RESIDENT_TOKEN_HEADER], req.ip ?? 'unknown');
    return true;
  }
}

/**
 * A route of the resident's phone page. No staff login (the global guard lets it through as
 * public), but the resident's token is required (this guard); the document declares the
 * `resident` scheme.
 */
export const ResidentAuth = () =>
  applyDecorators(
    SetMetadata(AUTH_METADATA, { type: 'public' } satisfies AuthRequirement),
    UseGuards(ResidentTokenGuard),
    ApiSecurity('resident'),
    ApiErrors('RESIDENT.TOKEN_INVALID', 'RATE.LIMITED'),
  );

/** `@Resident() r: TokenHolder` — whose token came with the request. */
export const Resident = createParamDecorator((_: unknown, context: ExecutionContext): TokenHolder => {
  const req = context.switchToHttp().getRequest<ResidentRequest>();
  if (!req.resident) throw new Error('Resident used on a route without ResidentAuth');
  return req.resident;
});
