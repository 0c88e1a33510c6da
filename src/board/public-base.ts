import type { FastifyRequest } from 'fastify';

const HOST = /^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;

/**
 * The base address printed in the board's QR codes: PUBLIC_BASE_URL when set (production: the
 * address residents reach), else the request's own scheme and host — what the browser that
 * asked used, behind a proxy only with TRUST_PROXY set. A Host header that is not a plain host
 * name or address falls back to http://localhost rather than being printed.
 */
export function publicBase(req: FastifyRequest, configured: string | undefined): string {
  if (configured) return configured;
  const host = req.headers.host ?? '';
  return HOST.test(host) ? `${req.protocol}://${host}` : 'http://localhost';
}
