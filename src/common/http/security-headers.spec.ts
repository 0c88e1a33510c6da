import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { addSecurityHeaders, helmetHeaders } from './security-headers';

describe('security headers', () => {
  it('are helmet\'s, with our CSP, worked out once', () => {
    const h = helmetHeaders();
    expect(h['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
    expect(h['content-security-policy']).toContain("img-src 'self' data:");
    expect(h).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN', 'strict-transport-security': expect.stringContaining('max-age=') });
    expect(h['x-powered-by']).toBeUndefined();
  });

  it('go on every response, a 404 and an error too', async () => {
    const app = Fastify();
    addSecurityHeaders(app);
    app.get('/ok', async () => ({ ok: true }));
    app.get('/fail', async () => {
      throw new Error('boom');
    });
    for (const url of ['/ok', '/fail', '/nope']) {
      const res = await app.inject({ method: 'GET', url });
      expect([url, res.headers['x-content-type-options'], String(res.headers['content-security-policy']).includes("default-src 'self'")]).toEqual([url, 'nosniff', true]);
    }
    await app.close();
  });
});
