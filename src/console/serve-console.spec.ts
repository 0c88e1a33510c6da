import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountConsole } from './serve-console.js';

/**
 * The console's index.html must be served from a build that lives under a dot directory too
 * (the bench runs the api from .local/bench-build): send refuses dot segments outside its root.
 */
describe('mountConsole', () => {
  let base: string;
  let server: Server;
  let top: string;

  beforeAll(async () => {
    top = mkdtempSync(join(tmpdir(), 'console-spec-'));
    const dir = join(top, '.local', 'build', 'web', 'dist');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/console/assets/app.js"></script>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    const e = express();
    const app = {
      useStaticAssets: (path: string, { prefix, ...opts }: { prefix: string } & Record<string, unknown>) => e.use(prefix, express.static(path, opts)),
      use: (path: string, handler: express.RequestHandler) => e.use(path, handler),
    } as unknown as NestExpressApplication;
    mountConsole(app, dir);
    e.use((_req, res) => res.status(404).send('api 404'));
    server = e.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server?.close();
    rmSync(top, { recursive: true, force: true });
  });

  it('answers an app route with index.html (no-cache) when the build sits under a dot directory', async () => {
    const res = await fetch(`${base}/console/login`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toContain('/console/assets/app.js');
  });

  it('serves the hashed assets, and a missing one is the api 404, not the app', async () => {
    expect((await fetch(`${base}/console/assets/app.js`)).status).toBe(200);
    const missing = await fetch(`${base}/console/assets/old-123.js`);
    expect([missing.status, await missing.text()]).toEqual([404, 'api 404']);
  });
});
