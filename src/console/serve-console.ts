import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CONSOLE_PATH = '/console';

/**
 * Where `npm --prefix web run build` put the console: beside src/ when run from the sources
 * (tests), two levels up from dist/src/console when run from the build.
 */
export function consoleDistDir(): string | null {
  for (const dir of [resolve(__dirname, '..', '..', 'web', 'dist'), resolve(__dirname, '..', '..', '..', 'web', 'dist')]) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

/**
 * The staff console (web/, a Vue app built to static files) at /console/, same origin as the
 * api. Hashed files under assets/ never change under their name: cached for a year, immutable.
 * index.html names the current hashes, so it is revalidated on every load (no-cache), and it
 * answers every other path under /console/ (the app's own routes, history mode).
 */
export function mountConsole(app: NestExpressApplication, dir = consoleDistDir()): void {
  if (!dir) {
    app.use(CONSOLE_PATH, (_req: Request, res: Response) => {
      res.status(503).type('text/plain; charset=utf-8').send('工作台尚未构建：请先运行 npm --prefix web run build');
    });
    return;
  }
  app.useStaticAssets(join(dir, 'assets'), { prefix: `${CONSOLE_PATH}/assets/`, immutable: true, maxAge: '365d', index: false });
  app.useStaticAssets(dir, { prefix: `${CONSOLE_PATH}/`, index: false, setHeaders: (res) => res.setHeader('cache-control', 'no-cache') });
  app.use(CONSOLE_PATH, (req: Request, res: Response, next: NextFunction) => {
    // A missing hashed file is a 404 (the api's JSON one), not the app: a stale index.html
    // asking for an old chunk must fail visibly rather than load HTML as a script.
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path.startsWith('/assets/')) return next();
    if (req.originalUrl === CONSOLE_PATH) return res.redirect(301, `${CONSOLE_PATH}/`);
    res.setHeader('cache-control', 'no-cache');
    // Relative to `root`: send refuses a path with a dot segment (.local/bench-build/web/dist
    // under the bench) unless that segment is in the root.
    res.sendFile('index.html', { root: dir });
  });
}
