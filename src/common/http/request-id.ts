import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Gives every request its id before anything else runs (body parsing can fail first), taking a
 * sane `x-request-id` from the caller so ids join up across services. The request line
 * (requestLineMiddleware) and the error filters log it.
 */
export function assignRequestId(req: IncomingMessage & { id?: string }, res: ServerResponse): string {
  if (req.id) return req.id;
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  req.id = id;
  res.setHeader('x-request-id', id);
  return id;
}
