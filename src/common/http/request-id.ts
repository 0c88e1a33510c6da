import { randomUUID } from 'node:crypto';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Every request's id, given before anything else runs (body parsing can fail first): the
 * caller's `x-request-id` when it is sane, so ids join up across services, else a new UUID.
 * Fastify's `genReqId` (src/bootstrap.ts); the response carries it as `x-request-id`, the
 * request line and the error filters log it.
 */
export function requestIdOf(given: string | string[] | undefined): string {
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}
