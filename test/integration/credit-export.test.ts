import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBody, CreditExportService } from '@app/credit-export/credit-export.service';
import { JobQueue } from '@app/queue/job-queue.service';
import { FinalizeService } from '@app/review/finalize.service';
import { startStack, startWorker, type TestStack } from '../support/app';
import { seedPublishedCycle } from '../support/bulk';
import { bearers, seedTown, type TownFixture } from '../support/fixtures';
import { spawnBuilt } from '../support/processes';
import { waitFor } from '../support/wait-for';

const SECRET = 'test-credit-export-secret-0123';

/** A fake credit platform: records what it accepted; can be told to fail or to stall. */
class Sink {
  server: Server;
  received: Array<{ outboxId: string; postingId: string; points: number }> = [];
  mode: 'ok' | 'fail' | 'stall' = 'ok';
  badSignatures = 0;
  stalled = 0;
  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (req.headers['x-xinyi-signature'] !== `sha256=${signBody(body, SECRET)}`) {
          this.badSignatures++;
          return res.writeHead(401).end();
        }
        if (this.mode === 'fail') return res.writeHead(502).end('upstream down');
        if (this.mode === 'stall') {
          this.stalled++;
          return; // never answers: the caller is killed while waiting
        }
        this.received.push(...JSON.parse(body).records);
        res.writeHead(200).end('{}');
      });
    });
  }
}

describe('credit export to the public platform', () => {
  let stack: TestStack;
  let f: TownFixture;
  const sink = new Sink();
  let port: number;

  beforeAll(async () => {
    await new Promise<void>((r) => sink.server.listen(0, '127.0.0.1', r));
    port = (sink.server.address() as AddressInfo).port;
    stack = await startStack({ env: { CREDIT_EXPORT_URL: `http://127.0.0.1:${port}/records`, CREDIT_EXPORT_SECRET: SECRET, WORKER_LOCK_DURATION_MS: '3000' } });
    f = await seedTown(stack.db, 1);
  });
  afterAll(async () => {
    await stack?.close();
    sink.server.closeAllConnections();
    await new Promise((r) => sink.server.close(r));
  });

  it('finalize fills the outbox; export sends signed batches once and marks rows sent; auditors see the status', async () => {
    const { cycleId, entries } = await seedPublishedCycle(stack.db, f.townId, f.villageA, '2026-02', 300, 2);
    expect(await stack.api.get(FinalizeService).finalize(cycleId)).toBe('finalized');
    const svc = stack.api.get(CreditExportService);
    const run = await svc.exportPending(f.townId);
    expect(run).toEqual({ sent: entries, failed: 0, skipped: null });
    expect(sink.badSignatures).toBe(0);
    expect(new Set(sink.received.map((r) => r.outboxId)).size).toBe(entries);
    expect(sink.received.reduce((s, r) => s + r.points, 0)).toBe(entries * 5);
    // Each record is its posting, field for field (the payload is built in SQL from the row).
    const postings = await stack.db.query(
      `SELECT p.id::text AS "postingId", p.account_id AS "residentId", p.village_id AS "villageId", p.period, p.item_code AS "itemCode",
              p.memo AS "itemName", p.points, p.posted_at AS "postedAt", p.hash
         FROM postings p JOIN credit_outbox o ON o.posting_id = p.id ORDER BY p.id`,
    );
    const byPosting = new Map(sink.received.map((r) => [r.postingId, r]));
    expect(byPosting.size).toBe(entries);
    for (const p of postings) {
      const { outboxId, ...record } = byPosting.get(p.postingId) as Record<string, unknown>;
      expect(outboxId).toMatch(/^\d+$/);
      expect(record).toEqual({ ...p, postedAt: (p.postedAt as Date).toISOString() });
    }
    expect((await svc.exportPending(f.townId)).sent).toBe(0);
    const t = await bearers(stack.http, f);
    const status = await request(stack.http).get('/api/v1/credit-export/status').set('authorization', t.auditor).expect(200);
    expect(status.body).toEqual([expect.objectContaining({ status: 'sent', n: entries })]);
  });

  it('a platform failure leaves rows pending with the error, and the job fails so BullMQ retries it', async () => {
    const { cycleId, entries } = await seedPublishedCycle(stack.db, f.townId, f.villageB, '2026-02', 10, 1);
    expect(await stack.api.get(FinalizeService).finalize(cycleId)).toBe('finalized');
    sink.mode = 'fail';
    await expect(stack.api.get(CreditExportService).handleExport({ townId: f.townId })).rejects.toThrow(/not accepted/);
    const [row] = await stack.db.query(`SELECT count(*)::int AS n, max(attempts) AS attempts, max(last_error) AS err FROM credit_outbox WHERE status = 'pending'`);
    expect(row).toEqual({ n: entries, attempts: 1, err: 'platform answered 502: upstream down' });
    sink.mode = 'ok';
    expect((await stack.api.get(CreditExportService).exportPending()).sent).toBe(entries);
  });

  it('rows that ran out of attempts are failed until a town admin retries them; then they are sent', async () => {
    const [village] = await stack.db.query(`INSERT INTO villages (town_id, code, name) VALUES ($1, 'R1', '重发村') RETURNING id`, [f.townId]);
    const { cycleId, entries } = await seedPublishedCycle(stack.db, f.townId, village.id, '2026-03', 6, 1);
    expect(await stack.api.get(FinalizeService).finalize(cycleId)).toBe('finalized');
    await stack.db.query(`UPDATE credit_outbox SET attempts = 9 WHERE status = 'pending'`);
    sink.mode = 'fail';
    await expect(stack.api.get(CreditExportService).handleExport({ townId: f.townId })).rejects.toThrow(/not accepted/);
    sink.mode = 'ok';
    const failed = async () => (await stack.db.query(`SELECT count(*)::int AS n FROM credit_outbox WHERE status = 'failed' AND town_id = $1`, [f.townId]))[0].n as number;
    expect(await failed()).toBe(entries);
    // Nothing sends them by itself any more...
    expect((await stack.api.get(CreditExportService).exportPending(f.townId)).sent).toBe(0);
    const t = await bearers(stack.http, f);
    await request(stack.http).post('/api/v1/credit-export/retry').set('authorization', t.auditor).expect(403);
    const retry = await request(stack.http).post('/api/v1/credit-export/retry').set('authorization', t.town_admin).expect(200);
    expect(retry.body).toEqual({ requeued: entries, queued: true });
    expect(await failed()).toBe(0);
    const [audit] = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'credit_export.retry' ORDER BY id DESC LIMIT 1`);
    expect(audit.summary).toEqual({ requeued: entries });
    expect((await stack.api.get(CreditExportService).exportPending(f.townId)).sent).toBe(entries);
    // A second retry finds nothing to do.
    expect((await request(stack.http).post('/api/v1/credit-export/retry').set('authorization', t.town_admin).expect(200)).body).toEqual({ requeued: 0, queued: false });
  });

  it('a worker SIGKILLed during an export loses nothing: the rerun sends every row (at least once, keyed by outbox id)', async () => {
    const [town] = await stack.db.query(`INSERT INTO towns (code, name) VALUES ('EXP', '报送镇') RETURNING id`);
    const [village] = await stack.db.query(`INSERT INTO villages (town_id, code, name) VALUES ($1, 'E1', '报送村') RETURNING id`, [town.id]);
    const [version] = await stack.db.query(`SELECT id FROM catalog_versions LIMIT 1`);
    await stack.db.query(`INSERT INTO catalog_adoptions (town_id, version_id, effective_from) VALUES ($1, $2, '2020-01-01')`, [town.id, version.id]);
    const { cycleId, entries } = await seedPublishedCycle(stack.db, town.id, village.id, '2026-02', 100, 1);
    expect(await stack.api.get(FinalizeService).finalize(cycleId)).toBe('finalized');
    const postingsBefore = (await stack.db.query(`SELECT count(*)::int AS n, sum(points)::int AS s FROM postings WHERE village_id = $1`, [village.id]))[0];

    sink.mode = 'stall';
    const doomed = spawnBuilt('worker', [], {
      DATABASE_URL: stack.env.DATABASE_URL,
      REDIS_URL: stack.env.REDIS_URL,
      QUEUE_PREFIX: stack.env.QUEUE_PREFIX,
      CREDIT_EXPORT_URL: `http://127.0.0.1:${port}/records`,
      CREDIT_EXPORT_SECRET: SECRET,
      WORKER_LOCK_DURATION_MS: '3000',
      LOG_LEVEL: 'warn',
    });
    await stack.api.get(JobQueue).enqueue('credit.export', { townId: town.id }, { jobId: `export-kill-${town.id}` });
    await waitFor(() => sink.stalled > 0, { timeoutMs: 20_000, description: 'the worker to be inside an export' });
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const [pending] = await stack.db.query(`SELECT count(*)::int AS n FROM credit_outbox WHERE town_id = $1 AND status = 'pending'`, [town.id]);
    expect(pending.n).toBe(entries);

    sink.mode = 'ok';
    const worker = await startWorker();
    try {
      await waitFor(async () => (await stack.db.query(`SELECT count(*)::int AS n FROM credit_outbox WHERE town_id = $1 AND status = 'sent'`, [town.id]))[0].n === entries, {
        timeoutMs: 30_000,
        description: 'the stalled export job to be rerun',
      });
    } finally {
      await worker.close();
    }
    const outboxIds = (await stack.db.query(`SELECT id::text FROM credit_outbox WHERE town_id = $1`, [town.id])).map((r: { id: string }) => r.id);
    const got = new Set(sink.received.map((r) => r.outboxId));
    expect(outboxIds.every((id: string) => got.has(id))).toBe(true);
    // Exporting never touches the ledger.
    expect((await stack.db.query(`SELECT count(*)::int AS n, sum(points)::int AS s FROM postings WHERE village_id = $1`, [village.id]))[0]).toEqual(postingsBefore);
  });
});
