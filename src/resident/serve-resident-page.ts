import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { consoleDistDir } from '@app/console/serve-console';

export const RESIDENT_PAGE_PATH = '/r';

/** Where `npm --prefix web run build` put the phone page: web/dist/resident (its own Vite build). */
export function residentPageDir(): string | null {
  const dist = consoleDistDir();
  const dir = dist ? join(dist, 'resident') : null;
  return dir && existsSync(join(dir, 'index.html')) ? dir : null;
}

/**
 * The resident's phone page (web/resident, Vue + Vant) at /r/. The personal QR links to
 * `/r/#<token>`: the token is in the fragment, which the browser keeps to itself, so it is in
 * no access log, proxy log or Referer; the page sends it to /api/v1/resident/* in a header.
 * Hashed assets are immutable for a year; index.html is revalidated on every load.
 */
export function mountResidentPage(app: NestExpressApplication, dir = residentPageDir()): void {
  if (!dir) {
    app.use(RESIDENT_PAGE_PATH, (_req: Request, res: Response) => {
      res.status(503).type('text/plain; charset=utf-8').send('村民手机页尚未构建：请先运行 npm --prefix web run build');
    });
    return;
  }
  app.useStaticAssets(join(dir, 'assets'), { prefix: `${RESIDENT_PAGE_PATH}/assets/`, immutable: true, maxAge: '365d', index: false });
  app.use(RESIDENT_PAGE_PATH, (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path.startsWith('/assets/')) return next();
    if (req.originalUrl === RESIDENT_PAGE_PATH) return res.redirect(301, `${RESIDENT_PAGE_PATH}/`);
    res.setHeader('cache-control', 'no-cache');
    res.sendFile('index.html', { root: dir });
  });
}
