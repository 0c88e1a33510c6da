import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database/data-source-options';
import { createTestDatabase, dropTestDatabase } from '../support/db';
import { bearer, seedTown, type TownFixture } from '../support/fixtures';
import { spawnApi, stopSpawned } from '../support/processes';
import { waitFor } from '../support/wait-for';

/**
 * What a real api process prints per request: who (staff user and role, or terminal), not every
 * header (a line was ≈ 1.6 KB, most of it the Content-Security-Policy); JSON by default, human
 * lines with LOG_FORMAT=pretty.
 */
describe('request log lines', () => {
  const base = () => process.env.DATABASE_URL as string;
  let db: { name: string; url: string };
  let f: TownFixture;
  let api: Awaited<ReturnType<typeof spawnApi>>;

  beforeAll(async () => {
    db = await createTestDatabase(base());
    const ds = await new DataSource(dataSourceOptions(db.url, 2)).initialize();
    f = await seedTown(ds, 1);
    await ds.destroy();
    api = await spawnApi({ DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL as string, LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    await stopSpawned(api);
    if (db) await dropTestDatabase(base(), db.name);
  });

  const lineFor = (requestId: string) =>
    waitFor(
      () =>
        api
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown> & { req?: { id?: string }; msg?: string })
          .find((l) => l.req?.id === requestId && l.msg === 'request completed'),
      { timeoutMs: 5_000, description: `the log line of ${requestId}` },
    );

  it('a staff request: user id and role, method, url, status; no headers, short', async () => {
    const token = await bearer(api.url, f.users.auditor.username);
    await request(api.url).get('/api/v1/auth/me').set('authorization', token).set('x-request-id', 'log-test-staff-1').expect(200);
    const line = await lineFor('log-test-staff-1');
    expect(line).toMatchObject({ user: { id: f.users.auditor.id, role: 'auditor' }, req: { method: 'GET', url: '/api/v1/auth/me' }, res: { statusCode: 200 }, service: 'api' });
    expect(JSON.stringify(line)).not.toMatch(/headers|content-security-policy|authorization|Bearer/i);
    expect(JSON.stringify(line).length).toBeLessThan(500);
  });

  it('a terminal request carries the terminal and its shop; a public one neither', async () => {
    const admin = await bearer(api.url, f.users.town_admin.username);
    const { apiKey, id } = (await request(api.url).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', admin).send({ name: 'log' }).expect(201)).body;
    await request(api.url).get('/api/v1/terminal/goods').set('x-api-key', apiKey).set('x-request-id', 'log-test-terminal-1').expect(200);
    const line = await lineFor('log-test-terminal-1');
    expect(line).toMatchObject({ terminal: { id, shopId: f.shopA } });
    expect(line).not.toHaveProperty('user');
    expect(JSON.stringify(line)).not.toContain(apiKey);
    await request(api.url).post('/api/v1/auth/login').set('x-request-id', 'log-test-public-1').send({ username: 'nobody', password: 'whatever-password' }).expect(401);
    const pub = await lineFor('log-test-public-1');
    expect(pub).not.toHaveProperty('user');
    expect(pub).not.toHaveProperty('terminal');
    expect(JSON.stringify(pub)).not.toContain('whatever-password');
  });

  it('LOG_FORMAT=pretty prints human lines, not JSON', async () => {
    const pretty = await spawnApi({ DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL as string, LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' });
    try {
      await request(pretty.url).get('/api/v1/auth/me').expect(401);
      const lines = pretty.output().split('\n').filter((l) => l.includes('api listening on'));
      expect(lines).toHaveLength(1);
      expect(lines[0].trimStart().startsWith('{')).toBe(false);
      expect(lines[0]).toMatch(/INFO/);
    } finally {
      await stopSpawned(pretty);
    }
  });
});
