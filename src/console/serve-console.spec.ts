import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountConsole } from './serve-console.js';

@Module({})
class NoRoutes {}

/**
 * The console as the api serves it, in a Nest app on Fastify with no routes of its own: the app's
 * routes answer index.html, hashed files are immutable, a missing one is the framework's 404. The
 * build may live under a dot directory (the bench runs the api from .local/bench-build).
 */
describe('mountConsole', () => {
  let base: string;
  let app: NestFastifyApplication;
  let top: string;

  beforeAll(async () => {
    top = mkdtempSync(join(tmpdir(), 'console-spec-'));
    const dir = join(top, '.local', 'build', 'web', 'dist');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/console/assets/app.js"></script>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dir, 'assets', '.env'), 'SECRET=1');
    writeFileSync(join(dir, '.htpasswd'), 'x:y');
    app = await NestFactory.create<NestFastifyApplication>(NoRoutes, new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true } }), { logger: false });
    await mountConsole(app, dir);
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    rmSync(top, { recursive: true, force: true });
  });

  it('answers an app route with index.html (no-cache) when the build sits under a dot directory', async () => {
    for (const path of ['/console/login', '/console/', '/console/audit/postings?resident=1']) {
      const res = await fetch(`${base}${path}`);
      expect([path, res.status, res.headers.get('cache-control')]).toEqual([path, 200, 'no-cache']);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('/console/assets/app.js');
    }
  });

  it('sends /console to /console/ (301)', async () => {
    const res = await fetch(`${base}/console`, { redirect: 'manual' });
    expect([res.status, res.headers.get('location')]).toEqual([301, '/console/']);
  });

  it('serves the hashed assets for a year, the other files revalidated, and a missing asset is the 404, not the app', async () => {
    const asset = await fetch(`${base}/console/assets/app.js`);
    expect([asset.status, asset.headers.get('cache-control')]).toEqual([200, 'public, max-age=31536000, immutable']);
    const icon = await fetch(`${base}/console/favicon.svg`);
    expect([icon.status, icon.headers.get('cache-control')]).toEqual([200, 'no-cache']);
    const missing = await fetch(`${base}/console/assets/old-123.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('never sends a dot file', async () => {
    const env = await fetch(`${base}/console/assets/.env`);
    expect(env.status).toBe(404);
    const top = await fetch(`${base}/console/.htpasswd`);
    expect(await top.text()).not.toContain('x:y');
  });

  it('without a build, every path under /console says how to build it (503)', async () => {
    const bare = await NestFactory.create<NestFastifyApplication>(NoRoutes, new FastifyAdapter({ routerOptions: { ignoreTrailingSlash: true } }), { logger: false });
    await mountConsole(bare, null);
    await bare.init();
    for (const url of ['/console', '/console/', '/console/login']) {
      const res = await bare.inject({ method: 'GET', url });
      expect([url, res.statusCode, res.body]).toEqual([url, 503, '工作台尚未构建：请先运行 npm --prefix web run build']);
    }
    await bare.close();
  });
});
