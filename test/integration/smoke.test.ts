import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '@app/queue/job-queue.service';
import { startStack, type TestStack } from '../support/app';
import { bearer, seedTown } from '../support/fixtures';
import { waitFor } from '../support/wait-for';

describe('smoke: the real app on real PostgreSQL and Redis', () => {
  let stack: TestStack;
  let admin: string;
  let auditor: string;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    const f = await seedTown(stack.db, 1);
    admin = await bearer(stack.http, f.users.town_admin.username);
    auditor = await bearer(stack.http, f.users.auditor.username);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('/health reports database and redis up', async () => {
    const res = await request(stack.http).get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.database.status).toBe('up');
    expect(res.body.info.redis.status).toBe('up');
  });

  it('/docs-json is an OpenAPI document with the api prefix', async () => {
    const res = await request(stack.http).get('/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toContain('/api/v1/system/heartbeat');
  });

  it('an unknown route answers 404 in the error shape, inside and outside the prefix', async () => {
    for (const path of ['/api/v1/no-such-thing', '/no-such-thing']) {
      const res = await request(stack.http).get(path).set('x-request-id', 'req-smoke-0001').expect(404);
      expect(res.body).toEqual({ statusCode: 404, code: 'ROUTE.NOT_FOUND', message: expect.any(String), requestId: 'req-smoke-0001' });
      expect(res.headers['x-request-id']).toBe('req-smoke-0001');
    }
  });

  it('a validation failure lists each bad field', async () => {
    const res = await request(stack.http).get('/api/v1/system/heartbeat/not-a-job').set('authorization', admin).expect(400);
    expect(res.body.code).toBe('VALIDATION.FAILED');
    expect(res.body.details).toEqual([{ field: 'jobId', constraints: { matches: expect.any(String) }, message: expect.stringMatching(/^心跳任务编号（jobId）不正确：格式不正确，应如 heartbeat-2f0c7c1e/) }]);
    expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('malformed JSON is 400 REQUEST.MALFORMED_JSON and an oversized body is 413', async () => {
    const bad = await request(stack.http).post('/api/v1/auth/login').set('content-type', 'application/json').send('{"a":').expect(400);
    expect(bad.body.code).toBe('REQUEST.MALFORMED_JSON');
    const big = await request(stack.http)
      .post('/api/v1/auth/login')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ a: 'x'.repeat(2 * 1024 * 1024) }))
      .expect(413);
    expect(big.body.code).toBe('REQUEST.TOO_LARGE');
  });

  it('a job enqueued through the api is processed by a worker', async () => {
    const res = await request(stack.http).post('/api/v1/system/heartbeat').set('authorization', admin).expect(202);
    expect(res.body.queued).toBe(true);
    const status = await waitFor(
      async () => {
        const s = await request(stack.http).get(`/api/v1/system/heartbeat/${res.body.jobId}`).set('authorization', admin).expect(200);
        return s.body.processed ? s.body : undefined;
      },
      { timeoutMs: 15_000, description: 'the heartbeat job to be processed' },
    );
    expect(status.worker).toMatch(/:\d+$/);
    const rows = await stack.db.query('SELECT count(*)::int AS n FROM system_heartbeats WHERE job_id = $1', [res.body.jobId]);
    expect(rows[0].n).toBe(1);
  });

  it('security headers are set (helmet)', async () => {
    const res = await request(stack.http).get('/health');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('the queue dashboard is for signed-in town admins: the console opens it with a cookie, never a token in the URL', async () => {
    expect((await request(stack.http).get('/admin/queues').expect(401)).body.code).toBe('AUTH.UNAUTHENTICATED');
    expect((await request(stack.http).get('/admin/queues').set('authorization', auditor).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
    // A token in the URL is not read any more (it would land in history, logs and Referer headers).
    expect((await request(stack.http).get('/admin/queues').query({ token: admin.slice('Bearer '.length) }).expect(401)).body.code).toBe('AUTH.UNAUTHENTICATED');
    // The console's session call: bearer + console header, for town admins only.
    expect((await request(stack.http).post('/api/v1/system/queue-dashboard/session').set('authorization', admin).expect(403)).body.code).toBe('AUTH.CONSOLE_HEADER_REQUIRED');
    await request(stack.http).post('/api/v1/system/queue-dashboard/session').set('authorization', auditor).set('x-xinyi-console', '1').expect(403);
    const hop = await request(stack.http).post('/api/v1/system/queue-dashboard/session').set('authorization', admin).set('x-xinyi-console', '1').expect(200);
    expect(hop.body.url).toBe('/admin/queues');
    expect(new Date(hop.body.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const cookie = hop.headers['set-cookie'] as unknown as string[];
    expect(cookie[0]).toMatch(/^xinyi_queues_token=[^;]+;.*Path=\/admin\/queues.*HttpOnly.*SameSite=Strict/i);
    expect((await request(stack.http).get('/admin/queues').set('cookie', 'xinyi_queues_token=garbage').expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
    const page = await request(stack.http).get('/admin/queues').set('cookie', cookie[0].split(';')[0]).expect(200);
    expect(page.text).toMatch(/<html/i);
    const api = await request(stack.http).get('/admin/queues/api/queues').set('authorization', admin).expect(200);
    expect(api.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['credit-export', 'cycle', 'ledger', 'notices', 'system']);
    // Read-only: the queues serve every town, so one town's admin cannot pause or clean them.
    expect((await request(stack.http).put('/admin/queues/api/queues/cycle/pause').set('authorization', admin).expect(405)).body.code).toBe('QUEUE.DASHBOARD_READ_ONLY');
    await request(stack.http).put('/admin/queues/api/queues/cycle/pause').set('cookie', cookie[0].split(';')[0]).expect(405);
    const cycle = stack.api.get(JobQueue).allQueues().find((q) => q.name === 'cycle');
    expect(await cycle?.isPaused()).toBe(false);
  });
});
