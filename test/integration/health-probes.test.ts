import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dropTestDatabase } from '../support/db';
import { freePort, spawnApi, stopSpawned } from '../support/processes';

/**
 * Orchestrator probes against real api processes: /health/live asks nothing, /health/ready (and
 * /health, kept) ask PostgreSQL and Redis. Ready used to flap at start: 3 of 5 parallel checks
 * sent right after "listening" said Redis was down while its connection was still being made.
 */
describe('/health/live and /health/ready', () => {
  const base = () => process.env.DATABASE_URL as string;
  let db: { name: string; url: string };

  beforeAll(async () => {
    db = await createTestDatabase(base());
  });
  afterAll(async () => {
    if (db) await dropTestDatabase(base(), db.name);
  });

  const get = (url: string) => fetch(url).then(async (r) => ({ status: r.status, body: (await r.json()) as { status: string; details?: Record<string, { status: string }> } }));

  it('ready does not flap at start: every check sent right after "listening" is 200, two starts in a row', async () => {
    for (let start = 0; start < 2; start++) {
      const api = await spawnApi({ DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL as string, LOG_LEVEL: 'warn' });
      try {
        const first = await Promise.all(Array.from({ length: 8 }, (_, i) => get(`${api.url}/health/${i % 2 ? 'ready' : 'live'}`)));
        expect(first.map((r) => r.status)).toEqual(Array(8).fill(200));
        const ready = await get(`${api.url}/health/ready`);
        expect(ready.body.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
        expect((await get(`${api.url}/health`)).status).toBe(200);
      } finally {
        await stopSpawned(api);
      }
    }
  });

  it('with Redis unreachable: live 200 (no restart for an outage), ready and /health 503 naming redis', async () => {
    const api = await spawnApi({ DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${await freePort()}/0`, LOG_LEVEL: 'warn' });
    try {
      expect(await get(`${api.url}/health/live`)).toEqual({ status: 200, body: { status: 'ok' } });
      for (const path of ['/health/ready', '/health']) {
        const res = await get(`${api.url}${path}`);
        expect(res.status).toBe(503);
        expect(res.body.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'down' } });
      }
    } finally {
      await stopSpawned(api);
    }
  });
});
