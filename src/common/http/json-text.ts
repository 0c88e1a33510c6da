import type { Response } from 'express';

/**
 * A handler's answer that is JSON text already (built from PostgreSQL's own JSON, e.g. the
 * statement): returned as a string, Nest hands it to Express's res.send unchanged, which keeps
 * this Content-Type. Use with `@Res({ passthrough: true })`; the route's @ApiOkResponse still
 * names the DTO the text is.
 */
export function jsonText(res: Response, text: string): string {
  res.type('application/json');
  return text;
}
