import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import IORedis from 'ioredis';
import { jobIds } from '@app/queue/job-ids';
import { JobSchedulers } from '@app/queue/job-schedulers.service';
import { JobQueue } from '@app/queue/job-queue.service';
import { SCHEDULES } from '@app/queue/jobs';
import { FinalizeService } from '@app/review/finalize.service';
import { ReconcileService } from '@app/review/reconcile.service';
import { startStack, startWorker, type TestStack } from '../support/app';
import { seedPublishedCycle } from '../support/bulk';
import { seedTown, type TownFixture } from '../support/fixtures';
import { spawnBuilt } from '../support/processes';
import { waitFor } from '../support/wait-for';

const cycleState = async (stack: TestStack, id: string) => (await stack.db.query(`SELECT state FROM review_cycles WHERE id = $1`, [id]))[0].state as string;

/** Every approved entry posted exactly once, and every balance the sum of its postings. */
async function expectExactlyOnce(stack: TestStack, villageId: string, entries: number, pointsEach: number) {
  const [p] = await stack.db.query(
    `SELECT count(*)::int AS n, count(DISTINCT source_ref)::int AS distinct_refs, coalesce(sum(points), 0)::int AS total FROM postings WHERE village_id = $1 AND kind = 'deed'`,
    [villageId],
  );
  expect(p).toEqual({ n: entries, distinct_refs: entries, total: entries * pointsEach });
  const [{ unposted }] = await stack.db.query(`SELECT count(*)::int AS unposted FROM entry_states WHERE village_id = $1 AND status <> 'posted'`, [villageId]);
  expect(unposted).toBe(0);
  const mismatched = await stack.db.query(
    `SELECT a.resident_id FROM accounts a LEFT JOIN (SELECT account_id, sum(points) AS s FROM postings GROUP BY account_id) p ON p.account_id = a.resident_id
     WHERE a.village_id = $1 AND a.balance <> coalesce(p.s, 0)`,
    [villageId],
  );
  expect(mismatched).toEqual([]);
}

describe('finalize: run twice, concurrently, killed half-way, and after a Redis flush', () => {
  let stack: TestStack;
  let f: TownFixture;
  const period = '2026-01';

  beforeAll(async () => {
    stack = await startStack({ env: { WORKER_LOCK_DURATION_MS: '4000' } });
    f = await seedTown(stack.db, 1);
  });
  afterAll(async () => stack?.close());

  it('run twice in a row, and twice at once: one posting per entry (invariant 2)', async () => {
    const { cycleId, entries } = await seedPublishedCycle(stack.db, f.townId, f.villageB, period, 200, 3);
    const finalizing = stack.api.get(FinalizeService);
    const outcomes = await Promise.all([finalizing.finalize(cycleId), finalizing.finalize(cycleId)]);
    expect(outcomes.sort()).toEqual(['already', 'finalized']);
    expect(await finalizing.finalize(cycleId)).toBe('already');
    await expectExactlyOnce(stack, f.villageB, entries, 5);
  });

  it('a worker SIGKILLed in the middle of finalizing thousands of entries loses and doubles nothing', async () => {
    const { cycleId, entries } = await seedPublishedCycle(stack.db, f.townId, f.villageA, period, 3000, 10);
    expect(entries).toBe(30_000);
    const env = { DATABASE_URL: stack.env.DATABASE_URL, REDIS_URL: stack.env.REDIS_URL, QUEUE_PREFIX: stack.env.QUEUE_PREFIX, WORKER_LOCK_DURATION_MS: '4000', LOG_LEVEL: 'warn' };
    const doomed = spawnBuilt('worker', [], env);
    await stack.api.get(JobQueue).enqueue('cycle.finalize', { cycleId }, { jobId: jobIds.finalize(f.villageA, period) });
    // Kill it while it is writing postings (its statement is visible in pg_stat_activity).
    await waitFor(
      async () => {
        const rows = await stack.db.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active' AND query ILIKE '%postings%'`,
          [stack.env.dbName],
        );
        return rows.length > 0;
      },
      { timeoutMs: 30_000, intervalMs: 5, description: 'the worker to be inside finalize' },
    );
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    expect(await cycleState(stack, cycleId)).toBe('publicized');
    // The killed transaction rolled back whole: nothing half-written.
    await waitFor(async () => (await stack.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query ILIKE '%postings%' AND pid <> pg_backend_pid()`, [stack.env.dbName]))[0].n === 0, {
      timeoutMs: 10_000,
      description: 'the killed session to end',
    });
    const [{ n }] = await stack.db.query(`SELECT count(*)::int AS n FROM postings WHERE village_id = $1`, [f.villageA]);
    expect(n).toBe(0);

    // A new worker picks the stalled job up once its lock lapses, and finishes it.
    const worker = await startWorker();
    try {
      await waitFor(async () => (await cycleState(stack, cycleId)) === 'finalized', { timeoutMs: 60_000, intervalMs: 200, description: 'the rerun to finalize' });
    } finally {
      await worker.close();
    }
    await expectExactlyOnce(stack, f.villageA, entries, 5);
  });

  it('after a Redis flush, reconcile re-creates the finalize job and it runs', async () => {
    const [town] = await stack.db.query(`INSERT INTO towns (code, name) VALUES ('FLUSH', '冲刷镇') RETURNING id`);
    const [village] = await stack.db.query(`INSERT INTO villages (town_id, code, name) VALUES ($1, 'F1', '冲刷村') RETURNING id`, [town.id]);
    const [version] = await stack.db.query(`SELECT id FROM catalog_versions LIMIT 1`);
    await stack.db.query(`INSERT INTO catalog_adoptions (town_id, version_id, effective_from) VALUES ($1, $2, '2020-01-01')`, [town.id, version.id]);
    const { cycleId, entries } = await seedPublishedCycle(stack.db, town.id, village.id, period, 50, 2);
    const schedulers = stack.api.get(JobSchedulers);
    const ids = Object.values(SCHEDULES).map((x) => x.id).sort();
    await schedulers.ensure();
    expect(await schedulers.ensure()).toEqual([]); // present: left alone
    // The job publish would have scheduled, then everything of ours in Redis is gone.
    await stack.api.get(JobQueue).enqueue('cycle.finalize', { cycleId }, { jobId: jobIds.finalize(village.id, period), delayMs: 3_600_000 });
    const redis = new IORedis(stack.env.REDIS_URL);
    const keys = await redis.keys(`${stack.env.QUEUE_PREFIX}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    expect(await redis.keys(`${stack.env.QUEUE_PREFIX}:*`)).toEqual([]);
    redis.disconnect();

    // The worker's periodic check puts the schedulers back (the reconcile scheduler among them).
    expect((await schedulers.ensure()).sort()).toEqual(ids);
    for (const [name, id] of [['cycle', SCHEDULES.closeDaily.id], ['system', SCHEDULES.reconcile.id], ['credit-export', SCHEDULES.creditExport.id], ['notices', SCHEDULES.noticesDeliver.id]] as const) {
      expect(await stack.api.get(JobQueue).queue(name).getJobScheduler(id), id).toBeTruthy();
    }
    const worker = await startWorker();
    try {
      const found = await stack.api.get(ReconcileService).reconcile();
      expect(found.finalize).toBeGreaterThanOrEqual(1);
      await waitFor(async () => (await cycleState(stack, cycleId)) === 'finalized', { timeoutMs: 20_000, description: 'finalize after reconcile' });
    } finally {
      await worker.close();
    }
    await expectExactlyOnce(stack, village.id, entries, 5);
  });
});
