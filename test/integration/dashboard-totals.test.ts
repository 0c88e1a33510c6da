import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardRepository } from '@app/auditor/dashboard.repository';
import { monthsUpTo } from '@app/auditor/dashboard.service';
import { shanghaiDate } from '@app/common/time';
import { DEFAULT_GRADE_THRESHOLDS } from '@app/scoring/grade';
import { LedgerService } from '@app/ledger/ledger.service';
import { FinalizeService } from '@app/review/finalize.service';
import { DashboardTotals1795490000000 } from '../../migrations/1795490000000-DashboardTotals';
import { DashboardGradeTotals1796700000000 } from '../../migrations/1796700000000-DashboardGradeTotals';
import { startStack, type TestStack } from '../support/app';
import { seedPublishedCycle } from '../support/bulk';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { answer, finalizeNow, object, villageA } from './board-helpers';

/**
 * The dashboard reads running totals that triggers keep (migration DashboardTotals). After each
 * kind of write that changes what it shows — entries one by one and side by side, a late entry, a
 * withdrawal, close and reopen, decisions, publish, finalize, an objection dismissed after
 * finalize, a correction, redemptions and a void — its figures must equal a count made from
 * scratch over deed_entries, entry_states and postings (the queries the dashboard ran before the
 * totals existed).
 */
const RECOUNT_ENTRIES = `
  WITH a AS (
    SELECT e.village_id, e.item_code, min(e.item_id::text)::uuid AS item_id, count(*) AS n,
           count(*) FILTER (WHERE e.period <> to_char(e.occurred_on, 'YYYY-MM')) AS late, COALESCE(sum(e.points), 0) AS points
      FROM deed_entries e WHERE e.town_id = $1 AND e.period = $2 GROUP BY e.village_id, e.item_code),
  w AS (
    SELECT e.village_id, e.item_code, count(*) AS n,
           count(*) FILTER (WHERE e.period <> to_char(e.occurred_on, 'YYYY-MM')) AS late, COALESCE(sum(e.points), 0) AS points
      FROM entry_states s JOIN deed_entries e ON e.id = s.entry_id
     WHERE s.town_id = $1 AND s.period = $2 AND s.status = 'withdrawn' GROUP BY e.village_id, e.item_code)
  SELECT a.village_id AS "villageId", a.item_code AS "itemCode", COALESCE(ci.name, a.item_code) AS "itemName",
         (a.n - COALESCE(w.n, 0))::int AS entries, (a.late - COALESCE(w.late, 0))::int AS "lateEntries", (a.points - COALESCE(w.points, 0))::int AS points
    FROM a LEFT JOIN w ON w.village_id = a.village_id AND w.item_code = a.item_code LEFT JOIN catalog_items ci ON ci.id = a.item_id
   WHERE a.n > COALESCE(w.n, 0)`;

const RECOUNT_POSTINGS = `
  SELECT period, village_id AS "villageId", kind, counterparty, count(*)::int AS n,
         COALESCE(sum(points) FILTER (WHERE points > 0), 0)::int AS added, COALESCE(-sum(points) FILTER (WHERE points < 0), 0)::int AS deducted
    FROM postings WHERE town_id = $1 AND period = ANY($2::text[]) AND kind IN ('deed', 'redemption', 'redemption_void')
   GROUP BY period, village_id, kind, counterparty`;

const RECOUNT_GRADES = `SELECT grade, count(*)::int AS residents FROM accounts WHERE town_id = $1 GROUP BY grade`;

const sorted = <T>(rows: T[]): T[] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const lastMonth = (period: string) => monthsUpTo(period, 2)[0];
const dayOf = (period: string, day: number) => `${period}-${String(day).padStart(2, '0')}`;

describe('dashboard totals equal a recount from scratch', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let repo: DashboardRepository;
  const today = shanghaiDate(new Date());
  const current = today.slice(0, 7);
  const last = lastMonth(current);
  const api = (p: string) => `/api/v1${p}`;
  const steps: string[] = [];

  /** Compares the dashboard's reads (repository and HTTP) with the recount, for both months. */
  async function expectRecount(step: string): Promise<void> {
    steps.push(step);
    const grades = { want: sorted(await stack.db.query(RECOUNT_GRADES, [f.townId])), got: sorted(await repo.gradeCounts(f.townId)) };
    expect(grades.got, `${step}: grades`).toEqual(grades.want);
    for (const period of [last, current]) {
      const months = monthsUpTo(period, 6);
      const want = { entries: sorted(await stack.db.query(RECOUNT_ENTRIES, [f.townId, period])), postings: sorted(await stack.db.query(RECOUNT_POSTINGS, [f.townId, months])) };
      const got = { entries: sorted(await repo.entriesOfPeriod(f.townId, period)), postings: sorted(await repo.postingsByMonth(f.townId, months)) };
      expect(got, `${step}: ${period}`).toEqual(want);

      const d = (await request(stack.http).get(api('/towns/current/dashboard')).query({ period }).set('authorization', t.town_admin).expect(200)).body;
      const perVillage = new Map<string, { entries: number; late: number }>();
      for (const r of want.entries as Array<{ villageId: string; entries: number; lateEntries: number }>) {
        const v = perVillage.get(r.villageId) ?? { entries: 0, late: 0 };
        perVillage.set(r.villageId, { entries: v.entries + r.entries, late: v.late + r.lateEntries });
      }
      for (const v of d.villages as Array<{ villageId: string; entries: number; lateEntries: number }>) {
        expect({ entries: v.entries, late: v.lateEntries }, `${step}: ${period} village ${v.villageId}`).toEqual(perVillage.get(v.villageId) ?? { entries: 0, late: 0 });
      }
      const deeds = (want.postings as Array<{ kind: string; added: number; deducted: number }>).filter((p) => p.kind === 'deed');
      const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
      expect(sum(d.points.map((p: { added: number }) => p.added)), `${step}: ${period} points added`).toBe(sum(deeds.map((p) => p.added)));
      expect(sum(d.points.map((p: { deducted: number }) => p.deducted)), `${step}: ${period} points deducted`).toBe(sum(deeds.map((p) => p.deducted)));
    }
  }

  const enter = async (who: string, villageId: string, residentId: string, itemCode: string, occurredOn = today): Promise<{ id: string; period: string }> => {
    const res = await request(stack.http).post(api(`/villages/${villageId}/entries`)).set('authorization', who).send({ residentId, itemCode, occurredOn });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  };

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 4);
    t = await bearers(stack.http, f);
    repo = stack.api.get(DashboardRepository);
  });
  afterAll(async () => stack?.close());

  it('stays equal through a month of entries, review, finalize, objections, corrections, reopen and the shop', async () => {
    await expectRecount('empty town');

    // Last month of village A, finalized: 3 × 2 entries of T10 posted.
    const { cycleId } = await seedPublishedCycle(stack.db, f.townId, f.villageA, last, 3, 2);
    await expectRecount('entries written in one statement');
    expect(await stack.api.get(FinalizeService).finalize(cycleId)).toBe('finalized');
    await expectRecount('finalize of last month');

    // This month in village A: entries one by one, and a deed of last month (closed) → late.
    const a = villageA(f, t);
    const e1 = await enter(a.clerk, f.villageA, f.residentsA[0], 'T10');
    const e2 = await enter(a.clerk, f.villageA, f.residentsA[1], 'B02');
    const e3 = await enter(a.clerk, f.villageA, f.residentsA[2], 'T10');
    const late = await enter(a.clerk, f.villageA, f.residentsA[3], 'B02', dayOf(last, 15));
    expect(late.period).toBe(current);
    await expectRecount('entries one by one, one of them late');
    const gone = await enter(a.clerk, f.villageA, f.residentsA[0], 'B02');
    await request(stack.http).post(api(`/entries/${gone.id}/withdraw`)).set('authorization', a.clerk).send({ reason: '录错了' }).expect(200);
    await expectRecount('a withdrawal');

    // Village B side by side: several connections, several counter slots.
    const b = await Promise.all(f.residentsB.flatMap((r) => ['T10', 'B02'].map((code) => enter(t.clerk_b, f.villageB, r, code))));
    await expectRecount('entries side by side');
    const cycB = api(`/villages/${f.villageB}/cycles/${current}`);
    await request(stack.http).post(`${cycB}/close`).set('authorization', t.town_admin).expect(200);
    await expectRecount('close of village B');
    await request(stack.http).post(`${cycB}/reopen`).set('authorization', t.town_admin).send({ reason: '漏录两条' }).expect(200);
    await enter(t.clerk_b, f.villageB, f.residentsB[0], 'T10');
    await request(stack.http).post(api(`/entries/${b[0].id}/withdraw`)).set('authorization', t.clerk_b).send({ reason: '重复' }).expect(200);
    await expectRecount('reopen, an entry and a withdrawal after it');

    // Village A's month: close, meeting, decisions, publish, an objection, finalize.
    const cyc = api(`/villages/${f.villageA}/cycles/${current}`);
    await request(stack.http).post(`${cyc}/close`).set('authorization', t.town_admin).expect(200);
    await request(stack.http).post(`${cyc}/meeting`).set('authorization', a.reviewer).send({ heldOn: today, attendees: ['王书记', '李主任'], minutes: '逐条审议' }).expect(200);
    await request(stack.http)
      .post(`${cyc}/decisions`)
      .set('authorization', a.reviewer)
      .send({ decisions: [e1, e2, e3, late].map((e, i) => ({ entryId: e.id, decision: i === 2 ? 'reject' : 'approve', ...(i === 2 ? { reason: '证据不足' } : {}) })) })
      .expect(200);
    await request(stack.http).post(`${cyc}/publish`).set('authorization', a.reviewer).expect(200);
    await expectRecount('decisions and publish');
    const objection = await object(stack, f.villageA, current, e1.id);
    await finalizeNow(stack, f.villageA, current);
    await expectRecount('finalize with a disputed entry held back');
    await answer(stack, a, objection, 'dismissed');
    await expectRecount('objection dismissed after finalize: the held entry posts');

    // A correction (its own kind: the charts leave it out, and so must the totals).
    const [deed] = await stack.db.query(`SELECT id::text FROM postings WHERE town_id = $1 AND kind = 'deed' AND period = $2 ORDER BY id LIMIT 1`, [f.townId, current]);
    await request(stack.http).post(api('/ledger/corrections')).set('authorization', t.town_admin).send({ postingId: deed.id, type: 'reversal', reason: '复核：同一件事记了两次' }).expect(201);
    await expectRecount('a correction');

    // The shop: redemptions side by side and a void.
    const ledger = stack.api.get(LedgerService);
    const shop = `shop:${f.shopA}`;
    const accounts: Array<{ resident_id: string }> = await stack.db.query(`SELECT resident_id FROM accounts WHERE village_id = $1 AND balance >= 5 ORDER BY resident_id`, [f.villageA]);
    expect(accounts.length).toBeGreaterThanOrEqual(3);
    await Promise.all(
      accounts.map((acct, i) =>
        stack.db.transaction((m) => ledger.postOne({ accountId: acct.resident_id, kind: 'redemption', points: -2, sourceRef: `redemption:totals-${i}`, counterparty: shop, period: current, memo: `R${i}` }, m)),
      ),
    );
    await stack.db.transaction((m) => ledger.postOne({ accountId: accounts[0].resident_id, kind: 'redemption_void', points: 2, sourceRef: 'void:totals-0', counterparty: shop, period: current, memo: 'R0 作废' }, m));
    await expectRecount('redemptions and a void');
    // The same redemption posted again (a retried request): ON CONFLICT DO NOTHING inserts no row, so nothing is counted.
    await stack.db
      .transaction((m) => ledger.postOne({ accountId: accounts[1].resident_id, kind: 'redemption', points: -2, sourceRef: 'redemption:totals-1', counterparty: shop, period: current, memo: 'R1' }, m))
      .catch(() => undefined);
    await expectRecount('a redemption posted twice');

    // A rolled-back write leaves no count behind.
    await expect(
      stack.db.transaction(async (m) => {
        await ledger.postOne({ accountId: accounts[1].resident_id, kind: 'redemption', points: -1, sourceRef: 'redemption:rolled-back', counterparty: shop, period: current, memo: 'X' }, m);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    await expectRecount('a rolled-back redemption');

    // A new grade table regrades the town's accounts (one UPDATE of many rows), and back.
    const gradesBefore = sorted(await stack.db.query(RECOUNT_GRADES, [f.townId]));
    const stars = [
      { grade: '★★★', min: 1001 },
      { grade: '★★', min: 1000 },
      { grade: '★', min: Number.MIN_SAFE_INTEGER },
    ];
    await request(stack.http).patch(api('/towns/current/settings')).set('authorization', t.town_admin).send({ gradeThresholds: stars }).expect(200);
    expect(sorted(await stack.db.query(RECOUNT_GRADES, [f.townId]))).not.toEqual(gradesBefore);
    await expectRecount('a new grade table');
    await request(stack.http).patch(api('/towns/current/settings')).set('authorization', t.town_admin).send({ gradeThresholds: DEFAULT_GRADE_THRESHOLDS }).expect(200);
    await expectRecount('the grade table back');
    expect(sorted(await repo.gradeCounts(f.townId))).toEqual(gradesBefore);

    // Not vacuous: the months really have entries, late ones, withdrawals and postings of each kind.
    const [seen] = await stack.db.query(
      `SELECT (SELECT count(*)::int FROM entry_states WHERE town_id = $1 AND status = 'withdrawn') AS withdrawn,
              (SELECT sum(late_entries)::int FROM dashboard_entry_totals WHERE town_id = $1) AS late,
              (SELECT count(DISTINCT kind)::int FROM dashboard_posting_totals WHERE town_id = $1) AS kinds,
              (SELECT count(*)::int FROM postings WHERE town_id = $1 AND kind = 'correction') AS corrections`,
      [f.townId],
    );
    expect(seen).toEqual({ withdrawn: 2, late: 1, kinds: 3, corrections: 1 });
    expect(steps).toHaveLength(17);
  });

  it('the migration counts the rows that existed before it, once', async () => {
    const runner = stack.db.createQueryRunner();
    try {
      await runner.startTransaction();
      await new DashboardTotals1795490000000().down(runner);
      await new DashboardTotals1795490000000().up(runner);
      for (const period of [last, current]) {
        const months = monthsUpTo(period, 6);
        const want = { entries: sorted(await runner.query(RECOUNT_ENTRIES, [f.townId, period])), postings: sorted(await runner.query(RECOUNT_POSTINGS, [f.townId, months])) };
        const got = { entries: sorted(await repo.entriesOfPeriod(f.townId, period, runner.manager)), postings: sorted(await repo.postingsByMonth(f.townId, months, runner.manager)) };
        expect(want.entries.length).toBeGreaterThan(0);
        expect(want.postings.length).toBeGreaterThan(0);
        expect(got, period).toEqual(want);
      }
      // Counted into one slot, and the triggers are back for what comes after.
      expect((await runner.query(`SELECT DISTINCT slot FROM dashboard_entry_totals WHERE town_id = $1`, [f.townId])).map((r: { slot: number }) => r.slot)).toEqual([0]);
      const triggers = await runner.query(`SELECT tgname FROM pg_trigger WHERE tgname LIKE '%dashboard_totals%' ORDER BY 1`);
      expect(triggers.map((r: { tgname: string }) => r.tgname)).toEqual(['deed_entries_dashboard_totals', 'entry_states_dashboard_totals', 'entry_states_dashboard_totals_insert', 'postings_dashboard_totals']);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });
  it('the grade totals migration counts the accounts that existed before it, once', async () => {
    const runner = stack.db.createQueryRunner();
    try {
      await runner.startTransaction();
      await new DashboardGradeTotals1796700000000().down(runner);
      await new DashboardGradeTotals1796700000000().up(runner);
      const want = sorted(await runner.query(RECOUNT_GRADES, [f.townId]));
      expect(want.length).toBeGreaterThan(0);
      expect(sorted(await repo.gradeCounts(f.townId, runner.manager))).toEqual(want);
      expect((await runner.query(`SELECT DISTINCT slot FROM dashboard_grade_totals WHERE town_id = $1`, [f.townId])).map((r: { slot: number }) => r.slot)).toEqual([0]);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
