import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { matchesEtag, pathOf, sendCacheableJson } from './rendered-body';

describe('matchesEtag', () => {
  it('compares weakly, in a list, and * matches any', () => {
    expect(matchesEtag('W/"abc"', 'W/"abc"')).toBe(true);
    expect(matchesEtag('"abc"', 'W/"abc"')).toBe(true);
    expect(matchesEtag('"x", W/"abc"', '"abc"')).toBe(true);
    expect(matchesEtag('*', '"abc"')).toBe(true);
    expect(matchesEtag(undefined, '"abc"')).toBe(false);
    expect(matchesEtag('"abd"', '"abc"')).toBe(false);
  });
});

describe('sendCacheableJson', () => {
  it('sends the JSON with public no-cache and an ETag; the same ETag back is a 304 without a body', async () => {
    const app = Fastify();
    app.get('/towns', (req, reply) => sendCacheableJson(req, reply, [{ name: '东村' }]));
    app.get('/path/:x', (req) => ({ path: pathOf(req) }));
    const first = await app.inject({ method: 'GET', url: '/towns' });
    expect([first.statusCode, first.headers['cache-control'], first.json()]).toEqual([200, 'public, no-cache', [{ name: '东村' }]]);
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/"[\w-]+"$/);
    const again = await app.inject({ method: 'GET', url: '/towns', headers: { 'if-none-match': etag } });
    expect([again.statusCode, again.body, again.headers.etag]).toEqual([304, '', etag]);
    expect((await app.inject({ method: 'GET', url: '/path/a?b=c' })).json()).toEqual({ path: '/path/a' });
    await app.close();
  });
});
