import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database/data-source-options';
import { adminQuery, createTestDatabase, dropTestDatabase } from '../support/db';
import { bearer, seedTown } from '../support/fixtures';
import { freePort, spawnApi, spawnBuilt, stopSpawned } from '../support/processes';
import { OwnServices } from '../support/services';
import { waitFor } from '../support/wait-for';

const baseUrl = () => process.env.DATABASE_URL as string;

describe('boot: a bad environment stops the process with one clear line', () => {
  it.each([
    [{ PORT: 'eighty' }, /invalid environment variable PORT="eighty"/],
    [{ DATABASE_URL: 'mysql://x' }, /invalid environment variable DATABASE_URL/],
    [{ NODE_ENV: 'production' }, /JWT_SECRET: the dev default must be replaced in production/],
  ])('%o', async (env, line) => {
    const p = spawnBuilt('main', [], { ...env, LOG_LEVEL: 'silent' });
    const { code } = await p.exited;
    expect(code).toBe(1);
    expect(p.output()).toMatch(line);
    expect(p.output()).not.toMatch(/\n\s+at /); // no stack trace for a config error
  });
});

describe('api with Redis down at start', () => {
  let db: { name: string; url: string };
  let api: Awaited<ReturnType<typeof spawnApi>>;
  let url: string;
  let admin: string;
  let adminUsername: string;

  beforeAll(async () => {
    db = await createTestDatabase(baseUrl());
    const ds = await new DataSource(dataSourceOptions(db.url, 2)).initialize();
    adminUsername = (await seedTown(ds, 1)).users.town_admin.username;
    await ds.destroy();
    const deadRedis = await freePort(); // nothing listens there
    api = await spawnApi({ DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${deadRedis}/0`, LOG_LEVEL: 'silent' });
    url = api.url;
    admin = await bearer(url, adminUsername);
  });
  afterAll(async () => {
    api?.child.kill('SIGTERM');
    await api?.exited;
    await dropTestDatabase(baseUrl(), db.name);
  });

  it('starts, and /health says 503 with redis down and the database up', async () => {
    const res = await request(url).get('/health').expect(503);
    expect(res.body.details.database.status).toBe('up');
    expect(res.body.details.redis.status).toBe('down');
  });

  it('still serves requests that need no queue', async () => {
    const res = await request(url).get('/api/v1/system/heartbeat/heartbeat-00000000').set('authorization', admin).expect(200);
    expect(res.body).toEqual({ jobId: 'heartbeat-00000000', processed: false });
  });

  it('answers an enqueue without hanging, saying the job was not queued', async () => {
    const started = Date.now();
    const res = await request(url).post('/api/v1/system/heartbeat').set('authorization', admin).expect(202);
    expect(res.body.queued).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('PostgreSQL and Redis stopped and restarted under a running api', () => {
  const own = new OwnServices();
  let api: Awaited<ReturnType<typeof spawnApi>>;
  let url: string;

  beforeAll(async () => {
    own.start();
    const migrate = spawnBuilt('database/cli', ['migrate'], { DATABASE_URL: own.databaseUrl });
    expect((await migrate.exited).code).toBe(0);
    api = await spawnApi({ DATABASE_URL: own.databaseUrl, REDIS_URL: own.redisUrl, LOG_LEVEL: 'silent' });
    url = api.url;
    await waitFor(() => fetch(`${url}/health`).then((r) => r.status === 200), { timeoutMs: 20_000, description: 'api healthy' });
  });
  afterAll(async () => {
    try {
      await stopSpawned(api);
    } finally {
      own.destroy();
    }
  });

  it('reports the database down with 503, answers data requests 503 in the error shape, and recovers without a restart', async () => {
    own.stopOnly('postgres');
    const health = await request(url).get('/health').expect(503);
    expect(health.body.details.database.status).toBe('down');
    expect(health.body.details.redis.status).toBe('up');
    const login = { username: 'nobody', password: 'whatever-password' };
    const res = await request(url).post('/api/v1/auth/login').send(login).expect(503);
    expect(res.body.code).toBe('SERVICE.DATABASE_UNAVAILABLE');
    expect(res.body.requestId).toBeTruthy();

    own.startOnly('postgres');
    await waitFor(() => fetch(`${url}/health`).then((r) => r.status === 200), { timeoutMs: 20_000, description: 'health back to 200' });
    const after = await request(url).post('/api/v1/auth/login').send(login).expect(401);
    expect(after.body.code).toBe('AUTH.INVALID_CREDENTIALS');
  });

  it('reports Redis down while it is stopped and up again when it returns', async () => {
    own.stopOnly('redis');
    const down = await request(url).get('/health').expect(503);
    expect(down.body.details.redis.status).toBe('down');
    own.startOnly('redis');
    await waitFor(() => fetch(`${url}/health`).then((r) => r.status === 200), { timeoutMs: 20_000, description: 'redis back' });
  });

  it('a worker told to stop while Redis is gone exits by SHUTDOWN_TIMEOUT_MS instead of hanging', async () => {
    const worker = spawnBuilt('worker', [], { DATABASE_URL: own.databaseUrl, REDIS_URL: own.redisUrl, QUEUE_PREFIX: 'deadline', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '1500' });
    try {
      await waitFor(() => worker.output().includes('workers started'), { timeoutMs: 20_000, description: 'worker up' });
      own.stopOnly('redis');
      const t0 = Date.now();
      worker.child.kill('SIGTERM');
      const exit = await Promise.race([worker.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
      expect(exit).not.toBe('hung');
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(exit).toEqual({ code: 1, signal: null });
      expect(worker.output()).toContain('shutdown did not finish within 1500 ms');
    } finally {
      await stopSpawned(worker, 1000);
      own.startOnly('redis');
    }
  });
});

describe('SIGTERM shuts both processes down cleanly', () => {
  // Nest runs the shutdown hooks, then re-raises the signal, so "exited by SIGTERM after the
  // hooks logged" is the clean outcome; a crash would be a non-zero code.
  it('api and worker run their shutdown hooks and exit on SIGTERM', async () => {
    const db = await createTestDatabase(baseUrl());
    try {
      const env = { DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL as string, QUEUE_PREFIX: `sig${db.name}`, LOG_LEVEL: 'info' };
      const api = await spawnApi(env);
      const worker = spawnBuilt('worker', [], env);
      // Start-up is generous (a loaded CI machine once took > 20 s); the shutdown itself is awaited
      // on the processes' exit with their output drained, never on a timer.
      await waitFor(() => fetch(`${api.url}/health`).then((r) => r.status === 200), { timeoutMs: 60_000, description: 'api up' });
      await waitFor(() => worker.output().includes('workers started'), { timeoutMs: 60_000, description: 'worker up' });
      api.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
      const [a, w] = await Promise.all([api.exited, worker.exited]);
      for (const r of [a, w]) expect(r.code === 0 || r.signal === 'SIGTERM').toBe(true);
      expect(worker.output()).toContain('workers closed');
      expect(api.output()).toContain('queues closed');
    } finally {
      await adminQuery(baseUrl(), `DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`);
    }
  }, 180_000);

  it('a SIGTERM while the worker is still starting is kept: it starts, then closes its workers and exits', async () => {
    const db = await createTestDatabase(baseUrl());
    const env = { DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL as string, QUEUE_PREFIX: `sig0${db.name}`, LOG_LEVEL: 'info' };
    let worker: ReturnType<typeof spawnBuilt> | undefined;
    try {
      // How long a start takes on this machine now: spawn to "workers started".
      const t0 = Date.now();
      worker = spawnBuilt('worker', [], env);
      await waitFor(() => worker?.output().includes('workers started'), { timeoutMs: 60_000, description: 'worker up' });
      const startMs = Date.now() - t0;
      worker.child.kill('SIGTERM');
      await worker.exited;
      // Again, with SIGTERM a quarter of the way through that: Node itself is up long before (the
      // entry point's first import listens for the signal, src/common/startup-signals.ts), the
      // queues not yet, with room for a second start faster than the first (a warmer cache).
      worker = spawnBuilt('worker', [], env);
      await new Promise((r) => setTimeout(r, Math.round(startMs / 4)));
      const sentAt = Date.now();
      worker.child.kill('SIGTERM');
      const w = await worker.exited;
      expect(w.code === 0 || w.signal === 'SIGTERM').toBe(true);
      const lines = worker.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; time?: number });
      // It came while the worker was starting, and the worker still started and shut down as on any
      // SIGTERM; without the early listener the signal's default action killed it there, silently.
      expect(lines.find((l) => l.msg === 'workers started')?.time ?? 0).toBeGreaterThan(sentAt);
      expect(lines.some((l) => l.msg === 'workers closed')).toBe(true);
    } finally {
      await stopSpawned(worker, 1000);
      await adminQuery(baseUrl(), `DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`);
    }
  }, 180_000);
});
