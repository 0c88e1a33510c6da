import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JsonTooDeepError, jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth';

/** A body that is not JSON (or not an object or array): the global filter answers REQUEST.MALFORMED_JSON. */
export class MalformedJsonError extends Error {
  readonly type = 'entity.parse.failed';
  readonly status = 400;
  readonly expose = true;
}

/**
 * `application/json` bodies, parsed as express.json parsed them for this api: an empty body is
 * `{}`, only an object or an array is accepted at the top (strict), and the depth check
 * (jsonNestsDeeperThan) runs on the raw bytes before JSON.parse, so a hostile body of 100,000 `[`
 * never reaches the parser or the validation pipe. The size limit is Fastify's `bodyLimit`
 * (BODY_LIMIT; 413 beyond).
 */
export function installJsonParser(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    if (body.length === 0) return done(null, {});
    if (jsonNestsDeeperThan(body)) return done(new JsonTooDeepError(MAX_JSON_DEPTH));
    const text = body.toString('utf8');
    // What JSON.parse would refuse anyway is left to it (a first character after other white space).
    const first = text.trimStart()[0];
    if (first !== '{' && first !== '[') return done(new MalformedJsonError('JSON body must be an object or an array'));
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new MalformedJsonError((err as Error).message));
    }
  });
}
