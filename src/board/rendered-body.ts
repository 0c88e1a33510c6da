import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import accepts from 'accepts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { gzipOfPieces, inflatePiece, type DeflatedPiece } from './gzip-pieces';

const gzipAsync = promisify(gzip);

/** A public page as sent: its plain and gzip forms, each with its own ETag (they are different bytes). */
export interface PageBody {
  etag(gzip: boolean): string;
  bytes(gzip: boolean): Promise<Buffer>;
}

function tag(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 32);
}

/**
 * A rendered public page kept as bytes, the way it is sent: the UTF-8 body and its ETag computed
 * once (the framework would otherwise convert a ~1 MB board on every request; Express also hashed it), the gzip form
 * made on first demand (a board compresses ~10×; residents read it on phones).
 */
export class RenderedBody implements PageBody {
  readonly body: Buffer;
  private readonly tag: string;
  private gzipped?: Promise<Buffer>;

  constructor(text: string) {
    this.body = Buffer.from(text, 'utf8');
    this.tag = tag(this.body);
  }

  etag(gz: boolean): string {
    return gz ? `"${this.tag}-gz"` : `"${this.tag}"`;
  }

  bytes(gz: boolean): Promise<Buffer> {
    if (!gz) return Promise.resolve(this.body);
    this.gzipped ??= gzipAsync(this.body, { level: 6 });
    return this.gzipped;
  }
}

/** A piece of a PiecedBody, with its bytes where they are at hand (else they are inflated when asked for). */
export type PlainPiece = DeflatedPiece & { plain?: Buffer };

/**
 * A page kept as deflated pieces (gzip-pieces.ts; the JSON board: board-json.ts): the gzip form
 * is the pieces as they are, put together at once (a copy); the plain form is inflated only for a
 * client that does not take gzip. The gzip form's ETag is the hash of its own bytes, the plain
 * form's that of its bytes, as RenderedBody's.
 */
export class PiecedBody implements PageBody {
  private readonly gzipped: Buffer;
  private readonly gzipTag: string;
  private plain?: { bytes: Buffer; tag: string };

  constructor(private readonly pieces: readonly PlainPiece[]) {
    this.gzipped = gzipOfPieces(pieces);
    this.gzipTag = tag(this.gzipped);
  }

  etag(gz: boolean): string {
    return gz ? `"${this.gzipTag}-gz"` : `"${this.plainForm().tag}"`;
  }

  bytes(gz: boolean): Promise<Buffer> {
    return Promise.resolve(gz ? this.gzipped : this.plainForm().bytes);
  }

  private plainForm(): { bytes: Buffer; tag: string } {
    if (!this.plain) {
      const bytes = Buffer.concat(this.pieces.map((p) => p.plain ?? inflatePiece(p)));
      this.plain = { bytes, tag: tag(bytes) };
    }
    return this.plain;
  }
}

/**
 * The public board's cache header, set on success only (an error must not be cached as a board,
 * nor answered as text/html): @Header() would apply before the handler runs, to errors as well.
 * `no-cache`: a browser or proxy may keep the page but must ask again each time; with the ETag
 * that costs a 304 without a body, and an objection or an answer shows at once (a max-age would
 * show the old board for that long).
 */
function cacheable(res: FastifyReply): void {
  res.header('cache-control', 'public, no-cache');
}

/** gzip only when the client says it takes it (no Accept-Encoding header: plain, like `compression`). */
function wantsGzip(req: FastifyRequest): boolean {
  return req.headers['accept-encoding'] !== undefined && accepts(req.raw).encodings('gzip', 'identity') === 'gzip';
}

/**
 * Sends a rendered page with the public cache headers: a matching If-None-Match is answered 304
 * without a body; gzip when accepted. Each encoding has its own ETag (they are different bytes).
 */
export async function sendRendered(req: FastifyRequest, res: FastifyReply, page: PageBody, contentType: string): Promise<void> {
  const gz = wantsGzip(req);
  const etag = page.etag(gz);
  cacheable(res);
  res.header('content-type', contentType).header('vary', 'Accept-Encoding').header('etag', etag);
  if (matchesEtag(req.headers['if-none-match'], etag)) {
    await res.code(304).send();
    return;
  }
  const body = await page.bytes(gz);
  if (gz) res.header('content-encoding', 'gzip');
  await res.code(200).send(body);
}

/**
 * A small public JSON answer (the village lists) with the public cache headers and an ETag of
 * its bytes: a browser that has it gets a 304 without a body.
 */
export async function sendCacheableJson(req: FastifyRequest, res: FastifyReply, value: unknown): Promise<void> {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const etag = `W/"${tag(body)}"`;
  cacheable(res);
  res.header('content-type', 'application/json; charset=utf-8').header('etag', etag);
  if (matchesEtag(req.headers['if-none-match'], etag)) {
    await res.code(304).send();
    return;
  }
  await res.code(200).send(body);
}

/**
 * Whether an If-None-Match header names `etag` (weak comparison, as `fresh` does for a GET: a
 * `W/` prefix does not matter; `*` matches any).
 */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  const want = bare(etag);
  return ifNoneMatch.split(',').some((t) => bare(t) === want);
}

/** The request's path, without its query string (what Express called `req.path`). */
export function pathOf(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q < 0 ? req.url : req.url.slice(0, q);
}
