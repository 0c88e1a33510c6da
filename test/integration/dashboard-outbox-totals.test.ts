import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardRepository } from '@app/auditor/dashboard.repository';
import { CreditExportRepository } from '@app/credit-export/credit-export.repository';
import { DashboardOutboxTotals1796400000000 } from '../../migrations/1796400000000-DashboardOutboxTotals';
import { startStack, type TestStack } from '../support/app';
import { seedPublishedCycle } from '../support/bulk';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { finalizeNow } from './board-helpers';
import type { Queryable } from '@app/database/sql';

/**
 * The dashboard's export backlog reads counts that triggers keep (migration DashboardOutboxTotals).
 * After each kind of write to the outbox — finalize's rows, a send, a failed attempt that stays
 * pending, one that fails for good, a requeue, several of them at once from separate connections —
 * the counts must equal a count made from scratch over credit_outbox (the query the dashboard ran
 * before), per village of the month and for the town over all months.
 */
const RECOUNT = `
  SELECT CASE WHEN GROUPING(x.village) = 1 THEN NULL ELSE x.village END AS "villageId",
         count(*) FILTER (WHERE x.status = 'pending')::int AS pending, count(*) FILTER (WHERE x.status = 'failed')::int AS failed
    FROM (SELECT status, CASE WHEN period = $2 THEN village_id END AS village FROM credit_outbox WHERE town_id = $1 AND status <> 'sent') x
   GROUP BY GROUPING SETS ((x.village), ())
  HAVING GROUPING(x.village) = 1 OR x.village IS NOT NULL`;

const sorted = <T>(rows: T[]): T[] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('dashboard export backlog equals a recount from scratch', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let repo: DashboardRepository;
  let outbox: CreditExportRepository;
  const periods = ['2026-08', '2026-09'];
  /** Villages of their own (seedPublishedCycle seeds a village once): V[0] and V[3] finalize 2026-08, V[1] and V[2] 2026-09. */
  const V: string[] = [];

  async function expectRecount(step: string, db: Queryable = stack.db): Promise<{ pending: number; failed: number }> {
    let total = { pending: 0, failed: 0 };
    for (const period of periods) {
      const want = sorted<{ villageId: string | null; pending: number; failed: number }>(await db.query(RECOUNT, [f.townId, period]));
      expect(sorted(await repo.exportBacklog(f.townId, period, db)), `${step}: ${period}`).toEqual(want);
      const town = want.find((r) => r.villageId === null);
      expect(town, `${step}: ${period} has the town's row`).toBeDefined();
      total = { pending: town?.pending ?? -1, failed: town?.failed ?? -1 };
    }
    if (db === stack.db) {
      const d = (await request(stack.http).get('/api/v1/towns/current/dashboard').query({ period: periods[1] }).set('authorization', t.town_admin).expect(200)).body;
      expect({ pending: d.totals.exportPending, failed: d.totals.exportFailed }, `${step}: dashboard`).toEqual({ pending: total.pending, failed: total.failed });
    }
    return total;
  }

  const ids = async (status: string, villageId: string, period: string): Promise<string[]> =>
    (await stack.db.query(`SELECT id::text FROM credit_outbox WHERE town_id = $1 AND village_id = $2 AND period = $3 AND status = $4 ORDER BY id`, [f.townId, villageId, period, status])).map((r: { id: string }) => r.id);

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 4);
    t = await bearers(stack.http, f);
    repo = stack.api.get(DashboardRepository);
    outbox = stack.api.get(CreditExportRepository);
    for (let i = 0; i < 4; i++) V.push((await stack.db.query(`INSERT INTO villages (town_id, code, name) VALUES ($1, $2, $3) RETURNING id`, [f.townId, `OB${i}`, `报送${i}村`]))[0].id);
  });
  afterAll(async () => stack?.close());

  it('stays equal through finalize, sends, failed attempts, failures for good, a requeue, and writers side by side', async () => {
    expect(await expectRecount('empty town')).toEqual({ pending: 0, failed: 0 });

    // Three village-months finalized, 12 pending rows each: two of 2026-09, one of 2026-08.
    for (const [village, period] of [[V[0], periods[0]], [V[1], periods[1]], [V[2], periods[1]]]) {
      await seedPublishedCycle(stack.db, f.townId, village, period, 6, 2);
      await finalizeNow(stack, village, period);
    }
    expect(await expectRecount('after finalize')).toEqual({ pending: 36, failed: 0 });

    const v1 = await ids('pending', V[1], periods[1]);
    await outbox.markSent(v1.slice(0, 5));
    expect(await expectRecount('five sent')).toEqual({ pending: 31, failed: 0 });

    // A failed attempt that stays pending changes no count; at the last attempt the row fails for good.
    await outbox.recordFailedAttempt(v1.slice(5, 8), '平台无响应', 5);
    expect(await expectRecount('an attempt failed, still pending')).toEqual({ pending: 31, failed: 0 });
    await outbox.recordFailedAttempt(v1.slice(5, 8), '平台无响应', 1);
    expect(await expectRecount('failed for good')).toEqual({ pending: 28, failed: 3 });

    // Writers side by side on their own connections: sends in three village-months, a failure for
    // good, and a fourth village-month finalized (8 new rows), all at once.
    const v2 = await ids('pending', V[2], periods[1]);
    const v0 = await ids('pending', V[0], periods[0]);
    await seedPublishedCycle(stack.db, f.townId, V[3], periods[0], 4, 2);
    await Promise.all([
      outbox.markSent(v2.slice(0, 6)),
      outbox.markSent(v0.slice(0, 4)),
      outbox.recordFailedAttempt(v2.slice(6, 9), '超时', 1),
      outbox.markSent(v1.slice(8)),
      finalizeNow(stack, V[3], periods[0]),
    ]);
    // Pending: V0 12 − 4, V1 0, V2 12 − 6 − 3, V3 8; failed: V1 3, V2 3.
    expect(await expectRecount('side by side')).toEqual({ pending: 8 + 0 + 3 + 8, failed: 6 });

    const requeued = await outbox.transaction((m) => outbox.requeueFailed(m, f.townId));
    expect(requeued).toBe(6);
    expect(await expectRecount('requeued')).toMatchObject({ failed: 0 });

    // A rolled-back write leaves the counts as they were.
    const before = await expectRecount('before a rollback');
    await expect(
      outbox.transaction(async (m) => {
        await m.query(`UPDATE credit_outbox SET status = 'sent' WHERE town_id = $1`, [f.townId]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await expectRecount('after a rollback')).toEqual(before);

    // Everything sent: the town's backlog is empty again, and no village row is left over.
    await stack.db.query(`UPDATE credit_outbox SET status = 'sent' WHERE town_id = $1`, [f.townId]);
    expect(await expectRecount('all sent')).toEqual({ pending: 0, failed: 0 });
    expect(await repo.exportBacklog(f.townId, periods[1])).toEqual([{ villageId: null, pending: 0, failed: 0 }]);
  });

  it('the migration counts the rows that existed before it, once; a delete is taken off', async () => {
    await stack.db.query(`UPDATE credit_outbox SET status = 'pending' WHERE town_id = $1 AND id % 3 = 0`, [f.townId]);
    await stack.db.query(`UPDATE credit_outbox SET status = 'failed' WHERE town_id = $1 AND id % 3 = 1`, [f.townId]);
    const runner = stack.db.createQueryRunner();
    try {
      await runner.startTransaction();
      await new DashboardOutboxTotals1796400000000().down(runner);
      await new DashboardOutboxTotals1796400000000().up(runner);
      const total = await expectRecount('after the migration', runner.manager);
      expect(total.pending).toBeGreaterThan(0);
      expect(total.failed).toBeGreaterThan(0);
      expect((await runner.query(`SELECT DISTINCT slot FROM dashboard_outbox_totals WHERE town_id = $1`, [f.townId])).map((r: { slot: number }) => r.slot)).toEqual([0]);
      await runner.query(`DELETE FROM credit_outbox WHERE town_id = $1 AND id % 3 = 0 AND id % 2 = 0`, [f.townId]);
      expect((await expectRecount('after a delete', runner.manager)).pending).toBeLessThan(total.pending);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
