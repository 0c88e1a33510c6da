import { get } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database/data-source-options';
import { createTestDatabase, dropTestDatabase } from '../support/db';
import { bearer, seedTown, type TownFixture } from '../support/fixtures';
import { explainWith, freePort, spawnApi, spawnBuilt, stopSpawned, type Spawned } from '../support/processes';
import { waitFor } from '../support/wait-for';

const TOKEN = 'metrics-token-for-the-test-0123';

/** One sample of a Prometheus text exposition, e.g. value(text, 'xinyi_x_total{a="b"}'). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics of a real api and a real worker', () => {
  const base = () => process.env.DATABASE_URL as string;
  let db: { name: string; url: string };
  let f: TownFixture;
  let api: Awaited<ReturnType<typeof spawnApi>>;
  let worker: Spawned;
  let workerUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase(base());
    const ds = await new DataSource(dataSourceOptions(db.url, 2)).initialize();
    f = await seedTown(ds, 1);
    await ds.destroy();
    const env = { DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL as string, QUEUE_PREFIX: `m${db.name}`, LOG_LEVEL: 'info', METRICS_TOKEN: TOKEN };
    const port = await freePort();
    workerUrl = `http://127.0.0.1:${port}`;
    api = await spawnApi(env, 60_000);
    worker = spawnBuilt('worker', [], { ...env, METRICS_PORT: String(port), HOST: '127.0.0.1' });
    await waitFor(() => worker.output().includes('worker metrics listening'), { timeoutMs: 60_000, description: 'worker metrics port' });
  });
  afterAll(async () => {
    await Promise.all([stopSpawned(api), stopSpawned(worker)]);
    if (db) await dropTestDatabase(base(), db.name);
  });

  const scrape = (url: string, token = TOKEN) => fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });

  it('is not public: no token or a wrong one → 401 in the error shape', async () => {
    for (const res of [await fetch(`${api.url}/metrics`), await scrape(api.url, 'wrong-token-wrong-token'), await fetch(`${workerUrl}/metrics`)]) {
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('AUTH.UNAUTHENTICATED');
    }
  });

  it('api: requests by route template and status with latency buckets, entries counted, pool, queues, export backlog, verify result', async () => {
    const clerk = await bearer(api.url, f.users.village_clerk.username);
    const admin = await bearer(api.url, f.users.town_admin.username);
    await request(api.url).get('/api/v1/auth/me').set('authorization', clerk).expect(200);
    await request(api.url).get('/api/v1/auth/me').expect(401);
    await request(api.url).get(`/api/v1/residents/${f.residentsA[0]}`).set('authorization', clerk).expect(200);
    await request(api.url).get('/no-such-page').expect(404);
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    await request(api.url).post(`/api/v1/villages/${f.villageA}/entries`).set('authorization', clerk).send({ residentId: f.residentsA[0], itemCode: 'T10', occurredOn: today }).expect(201);
    await request(api.url).get('/api/v1/ledger/verify').set('authorization', admin).expect(200);

    const res = await scrape(api.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(value(text, 'xinyi_http_request_duration_seconds_count{method="GET",route="/api/v1/auth/me",status="200"}')).toBe(1);
    expect(value(text, 'xinyi_http_request_duration_seconds_count{method="GET",route="/api/v1/auth/me",status="401"}')).toBe(1);
    expect(value(text, 'xinyi_http_request_duration_seconds_bucket{le="10",method="GET",route="/api/v1/auth/me",status="200"}')).toBe(1);
    expect(value(text, 'xinyi_http_request_duration_seconds_count{method="GET",route="/api/v1/residents/:id",status="200"}')).toBe(1);
    expect(value(text, 'xinyi_http_request_duration_seconds_count{method="GET",route="(unmatched)",status="404"}')).toBe(1);
    expect(text).not.toContain(f.residentsA[0]); // ids never become labels
    expect(value(text, 'xinyi_entries_created_total{source="single"}')).toBe(1);
    expect(value(text, 'xinyi_ledger_verify_last_ok')).toBe(1);
    expect(value(text, 'xinyi_ledger_verify_last_broken_accounts')).toBe(0);
    expect(value(text, 'xinyi_db_pool_connections{state="waiting"}')).toBe(0);
    expect(value(text, 'xinyi_db_pool_connections{state="in_use"}')).toBeGreaterThanOrEqual(0);
    for (const q of ['system', 'cycle', 'ledger', 'credit-export', 'notices']) expect(value(text, `xinyi_queue_jobs{queue="${q}",state="failed"}`)).toBe(0);
    expect(value(text, 'xinyi_queue_up')).toBe(1);
    expect(value(text, 'xinyi_credit_export_backlog{status="pending"}')).toBe(0);
    expect(value(text, 'xinyi_credit_export_oldest_pending_age_seconds')).toBe(0);
    expect(value(text, 'xinyi_database_up')).toBe(1);
    expect(text).toContain('xinyi_process_resident_memory_bytes');
  });

  it('worker: its own /metrics with job durations by queue, job and outcome; /health/live while its workers run', async () => {
    const admin = await bearer(api.url, f.users.town_admin.username);
    const { jobId } = (await request(api.url).post('/api/v1/system/heartbeat').set('authorization', admin).expect(202)).body;
    await waitFor(async () => (await request(api.url).get(`/api/v1/system/heartbeat/${jobId}`).set('authorization', admin)).body.processed === true, {
      timeoutMs: 20_000,
      description: 'heartbeat processed',
    });
    const text = await (await scrape(workerUrl)).text();
    expect(value(text, 'xinyi_job_duration_seconds_count{queue="system",job="system.heartbeat",outcome="completed"}')).toBe(1);
    expect(value(text, 'xinyi_queue_up')).toBe(1);
    expect(text).not.toContain('xinyi_http_request_duration_seconds_count{');
    const live = await fetch(`${workerUrl}/health/live`);
    expect([live.status, await live.json()]).toEqual([200, { status: 'ok', workers: 'running' }]);
  });

  it('API_PROCESSES=2: every scrape, whichever process answers, has both processes’ series, labelled api_process, and the service gauges once', { timeout: 240_000 }, async () => {
    const env = { DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL as string, QUEUE_PREFIX: `m${db.name}`, LOG_LEVEL: 'info', METRICS_TOKEN: TOKEN, API_PROCESSES: '2' };
    const cluster = await spawnApi(env, 180_000);
    try {
      await explainWith([cluster], async () => {
        await waitFor(() => [...cluster.output().matchAll(/api process (\d+) started/g)].length >= 2, { timeoutMs: 30_000, description: 'two api processes' });
        // A new connection per request (no keep-alive): the primary hands them out round-robin.
        const once = (path: string, headers: Record<string, string> = {}) =>
          new Promise<{ status: number; body: string }>((resolve, reject) => {
            get(`${cluster.url}${path}`, { agent: false, headers }, (res) => {
              let body = '';
              res.on('data', (d: Buffer) => (body += d.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            }).on('error', reject);
          });
        // "Started" is logged before a process answers the supervisor in time: one still warming up
        // on a loaded machine misses the 2 s report window of a scrape (REPORT_TIMEOUT_MS) and, not
        // yet listening, gets none of the requests. Wait until one scrape has both; then every one must.
        await waitFor(async () => value((await once('/metrics', { authorization: `Bearer ${TOKEN}` })).body, 'xinyi_api_processes{state="reporting"}') === 2, {
          timeoutMs: 60_000,
          description: 'both api processes answering the scrape',
        });
        for (let i = 0; i < 20; i++) expect((await once('/api/v1/auth/me')).status).toBe(401);
        const series = 'xinyi_http_request_duration_seconds_count{method="GET",route="/api/v1/auth/me",status="401"';
        for (let scrape = 0; scrape < 4; scrape++) {
          const { status, body } = await once('/metrics', { authorization: `Bearer ${TOKEN}` });
          expect(status).toBe(200);
          const lines = body.split('\n');
          const requests = lines.filter((l) => l.startsWith(series)).map((l) => Number(l.split(' ').pop()));
          expect(requests.reduce((a, b) => a + b, 0)).toBe(20);
          for (const slot of ['0', '1']) expect(lines.some((l) => l.startsWith('xinyi_process_resident_memory_bytes{') && l.includes(`api_process="${slot}"`))).toBe(true);
          expect(value(body, 'xinyi_api_processes{state="configured"}')).toBe(2);
          expect(value(body, 'xinyi_api_processes{state="reporting"}')).toBe(2);
          expect(lines.filter((l) => l.startsWith('xinyi_queue_up'))).toEqual(['xinyi_queue_up 1']);
          expect(lines.filter((l) => l === '# TYPE xinyi_http_request_duration_seconds histogram')).toHaveLength(1);
        }
      });
    } finally {
      await stopSpawned(cluster);
    }
  });
});
