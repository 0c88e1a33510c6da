import { stringifySetCookie, type SetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Console sessions (docs/ARCHITECTURE.md "Console sessions"): the refresh token of a console
 * login lives in an httpOnly cookie that page scripts cannot read, sent only to the auth routes;
 * the access token stays in the page's memory. A request that relies on the cookie must carry
 * CONSOLE_HEADER: a cross-site form cannot set a header, and a cross-site script would need a
 * CORS preflight this api never grants.
 */
export const REFRESH_COOKIE = 'xinyi_refresh';
export const CONSOLE_HEADER = 'x-xinyi-console';
/** The auth routes under API_PREFIX (src/bootstrap.ts): the cookie is sent nowhere else. */
export const REFRESH_COOKIE_PATH = '/api/v1/auth';

function options(req: FastifyRequest): Omit<SetCookie, 'name' | 'value'> {
  // Secure whenever the request came over https (directly or through the trusted proxy); a
  // plain-http development server would otherwise never get the cookie back.
  return { httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https', path: REFRESH_COOKIE_PATH };
}

/**
 * A Set-Cookie header as Express's `res.cookie` wrote it: the value URI-encoded, `Max-Age` and
 * `Expires` both for a lasting cookie; a cleared one expires at the epoch.
 */
export function setCookie(res: FastifyReply, name: string, value: string, opts: Omit<SetCookie, 'name' | 'value'>): void {
  const lasting = opts.maxAge === undefined ? {} : { expires: new Date(Date.now() + opts.maxAge * 1000) };
  res.header('set-cookie', stringifySetCookie({ name, value, ...lasting, ...opts }));
}

export function setRefreshCookie(req: FastifyRequest, res: FastifyReply, token: string, maxAgeSeconds: number): void {
  setCookie(res, REFRESH_COOKIE, token, { ...options(req), maxAge: maxAgeSeconds });
}

export function clearRefreshCookie(req: FastifyRequest, res: FastifyReply): void {
  setCookie(res, REFRESH_COOKIE, '', { ...options(req), expires: new Date(0) });
}

/** The refresh cookie's value, if the request has one (no cookie-parser: one cookie is read). */
export function readRefreshCookie(req: FastifyRequest): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === REFRESH_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim()) || undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function hasConsoleHeader(req: FastifyRequest): boolean {
  const v = req.headers[CONSOLE_HEADER];
  return typeof v === 'string' && v.length > 0;
}
