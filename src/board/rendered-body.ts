import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Request, Response } from 'express';

const gzipAsync = promisify(gzip);

/**
 * A rendered public page kept as bytes, the way it is sent: the UTF-8 body and its ETag computed
 * once (Express would otherwise convert and hash a ~1 MB board on every request), the gzip form
 * made on first demand (a board compresses ~10×; residents read it on phones).
 */
export class RenderedBody {
  readonly body: Buffer;
  readonly etag: string;
  private gzipped?: Promise<Buffer>;

  /** `text`: the page, or its UTF-8 bytes already (the JSON board, spliced as bytes: board-json.ts). */
  constructor(text: string | Buffer) {
    this.body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    this.etag = `"${createHash('sha256').update(this.body).digest('base64url').slice(0, 32)}"`;
  }

  gzip(): Promise<Buffer> {
    this.gzipped ??= gzipAsync(this.body, { level: 6 });
    return this.gzipped;
  }
}

/**
 * The public board's cache header, set on success only (an error must not be cached as a board,
 * nor answered as text/html): @Header() would apply before the handler runs, to errors as well.
 * `no-cache`: a browser or proxy may keep the page but must ask again each time; with the ETag
 * that costs a 304 without a body, and an objection or an answer shows at once (a max-age would
 * show the old board for that long).
 */
export function cacheable(res: Response): void {
  res.setHeader('cache-control', 'public, no-cache');
}

/** gzip only when the client says it takes it (no Accept-Encoding header: plain, like `compression`). */
function wantsGzip(req: Request): boolean {
  return req.headers['accept-encoding'] !== undefined && req.acceptsEncodings('gzip', 'identity') === 'gzip';
}

/**
 * Sends a rendered page with the public cache headers: a matching If-None-Match is answered 304
 * without a body; gzip when accepted. Each encoding has its own ETag (they are different bytes).
 */
export async function sendRendered(req: Request, res: Response, page: RenderedBody, contentType: string): Promise<void> {
  const gz = wantsGzip(req);
  cacheable(res);
  res.setHeader('content-type', contentType);
  res.setHeader('vary', 'Accept-Encoding');
  res.setHeader('etag', gz ? `${page.etag.slice(0, -1)}-gz"` : page.etag);
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  if (gz) {
    const body = await page.gzip();
    res.setHeader('content-encoding', 'gzip');
    res.status(200).send(body);
    return;
  }
  res.status(200).send(page.body);
}
