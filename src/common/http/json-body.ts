import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JsonTooDeepError, jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth';

/** A body that is not JSON (or not an object or array): the global filter answers REQUEST.MALFORMED_JSON. */
export class MalformedJsonError extends Error {
  readonly type = 'entity.parse.failed';
  readonly status = 400;
  readonly statusCode = 400;
  readonly expose = true;
}

/** A body in another charset than UTF-8, or compressed: REQUEST.UNSUPPORTED_MEDIA_TYPE (415). */
export class UnsupportedBodyError extends Error {
  readonly type = 'charset.unsupported';
  readonly status = 415;
  readonly statusCode = 415;
  readonly expose = true;
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/**
 * `application/json` bodies, parsed as express.json parsed them for this api: an empty body is
 * `{}`, only an object or an array is accepted at the top (strict), UTF-8 only and not
 * compressed (415 otherwise; no client of this api compresses its requests), and the depth check
 * (jsonNestsDeeperThan) runs on the raw bytes before JSON.parse, so a hostile body of 100,000 `[`
 * never reaches the parser or the validation pipe. The size limit is Fastify's `bodyLimit`
 * (BODY_LIMIT; 413 beyond).
 */
export function installJsonParser(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    const charset = CHARSET.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return done(new UnsupportedBodyError(`charset ${charset}`));
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return done(new UnsupportedBodyError(`content-encoding ${encoding}`));
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
