import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dropTestDatabase } from '../support/db';
import { spawnApi, stopSpawned } from '../support/processes';

/**
 * The login rate limit (LOGIN_RATE_LIMIT_PER_MINUTE per client address) sees the address in
 * X-Forwarded-For only when TRUST_PROXY trusts the hop that set it. Real api processes, since
 * the setting is read once at boot; every request here comes from 127.0.0.1.
 */
describe('TRUST_PROXY decides which client address the rate limits see', () => {
  const base = () => process.env.DATABASE_URL as string;
  let db: { name: string; url: string };
  let trusting: Awaited<ReturnType<typeof spawnApi>>;
  let direct: Awaited<ReturnType<typeof spawnApi>>;

  beforeAll(async () => {
    db = await createTestDatabase(base());
    const env = { DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL as string, LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT_PER_MINUTE: '3' };
    // Rate-limit counters are shared through Redis by every api process of one deployment (one
    // QUEUE_PREFIX): these two stand for two separate deployments, so each has its own prefix.
    [trusting, direct] = await Promise.all([
      spawnApi({ ...env, TRUST_PROXY: 'loopback', QUEUE_PREFIX: `tp-loop-${process.pid}` }),
      spawnApi({ ...env, TRUST_PROXY: 'false', QUEUE_PREFIX: `tp-direct-${process.pid}` }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stopSpawned(trusting), stopSpawned(direct)]);
    if (db) await dropTestDatabase(base(), db.name);
  });

  // Other usernames each time, so only the per-address limit can answer 429.
  let n = 0;
  const login = (url: string, forwardedFor: string) =>
    fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ username: `nobody-${n++}`, password: 'whatever-password' }),
    }).then(async (r) => ({ status: r.status, code: ((await r.json()) as { code?: string }).code }));

  it('trusted (loopback): each forwarded address has its own limit', async () => {
    const perClient = [];
    for (let i = 0; i < 5; i++) perClient.push((await login(trusting.url, `198.51.100.${i + 1}`)).status);
    expect(perClient).toEqual([401, 401, 401, 401, 401]);
    const one = [];
    for (let i = 0; i < 4; i++) one.push(await login(trusting.url, '203.0.113.9'));
    expect(one.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect(one[3].code).toBe('RATE.LIMITED');
  });

  it('not trusted (false): X-Forwarded-For is ignored, every request is the proxy address', async () => {
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await login(direct.url, `198.51.100.${i + 1}`));
    expect(seen.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect(seen[3].code).toBe('RATE.LIMITED');
  });

  it('a bad value stops the process at boot with one line', async () => {
    await expect(spawnApi({ DATABASE_URL: db.url, TRUST_PROXY: 'true', LOG_LEVEL: 'info' }, 10_000)).rejects.toThrow(/invalid environment variable TRUST_PROXY="true"/);
  });
});
