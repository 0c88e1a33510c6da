import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/** helmet's options for the api and its pages: a CSP of our own origin, inline styles (Element Plus) and data: images (QR codes). */
export const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    directives: { 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] },
  },
};

/**
 * The headers helmet sets with `options`, worked out once: with no nonces and no per-request
 * option they are the same for every response. (@fastify/helmet builds helmet's middleware, and
 * so parses the CSP, again for every request.)
 */
export function helmetHeaders(options: HelmetOptions = HELMET_OPTIONS): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) => void (headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  } as unknown as ServerResponse;
  let failed: unknown;
  helmet(options)({ headers: {} } as IncomingMessage, res, (err?: unknown) => void (failed = err));
  if (failed) throw failed instanceof Error ? failed : new Error(String(failed));
  return headers;
}

/** helmet's headers on every response of the routes registered after this (errors and 404s too). */
export function addSecurityHeaders(fastify: FastifyInstance, options: HelmetOptions = HELMET_OPTIONS): void {
  const headers = helmetHeaders(options);
  fastify.addHook('onRequest', (_req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.headers(headers);
    done();
  });
}
