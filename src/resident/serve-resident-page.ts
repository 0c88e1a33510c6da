import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { consoleDistDir, mountSinglePageApp } from '@app/console/serve-console';

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
export function mountResidentPage(app: NestFastifyApplication, dir = residentPageDir()): Promise<void> {
  return mountSinglePageApp(app, RESIDENT_PAGE_PATH, dir, '村民手机页尚未构建：请先运行 npm --prefix web run build');
}
