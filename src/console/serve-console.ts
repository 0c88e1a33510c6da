import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
 * A built single-page app at `path` (the console at /console/, the resident's page at /r/), in a
 * Fastify scope of its own. Hashed files under assets/ never change under their name: cached for
 * a year, immutable; a missing one is a 404 (the api's JSON one), not the app: a stale index.html
 * asking for an old chunk must fail visibly rather than load HTML as a script. index.html names
 * the current hashes, so it is revalidated on every load (no-cache), and it answers every other
 * GET under the path (the app's own routes, history mode); `path` without its slash is
 * redirected to it. Dot files are never sent (as Express's static). Not built: a 503 saying
 * which command builds it.
 */
export async function mountSinglePageApp(app: NestFastifyApplication, path: string, dir: string | null, notBuilt: string): Promise<void> {
  await app.register(
    (async (scope: FastifyInstance) => {
      if (!dir) {
        const unavailable = (_req: FastifyRequest, reply: FastifyReply) => reply.code(503).type('text/plain; charset=utf-8').send(notBuilt);
        scope.all('/', unavailable);
        scope.all('/*', unavailable);
        return;
      }
      await scope.register(fastifyStatic, { root: join(dir, 'assets'), prefix: '/assets/', immutable: true, maxAge: '365d', index: false, dotfiles: 'ignore', decorateReply: false });
      // The other files of the build (icons, the manifest), each a route of its own; index.html among them.
      await scope.register(fastifyStatic, {
        root: dir,
        prefix: '/',
        wildcard: false,
        globIgnore: ['assets/**'],
        index: false,
        dotfiles: 'ignore',
        cacheControl: false,
        setHeaders: (reply) => reply.header('cache-control', 'no-cache'),
      });
      const page = (req: FastifyRequest, reply: FastifyReply) => {
        if (req.url === path || req.url.startsWith(`${path}?`)) return reply.redirect(`${path}/${req.url.slice(path.length)}`, 301);
        return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
      };
      scope.get('/', page);
      scope.get('/*', page);
    }) as never,
    { prefix: path },
  );
}

/** The staff console (web/, a Vue app built to static files) at /console/, same origin as the api. */
export function mountConsole(app: NestFastifyApplication, dir = consoleDistDir()): Promise<void> {
  return mountSinglePageApp(app, CONSOLE_PATH, dir, '工作台尚未构建：请先运行 npm --prefix web run build');
}
