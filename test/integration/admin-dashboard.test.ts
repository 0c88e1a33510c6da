import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerService } from '@app/ledger/ledger.service';
import { FinalizeService } from '@app/review/finalize.service';
import { startStack, type TestStack } from '../support/app';
import { seedPublishedCycle } from '../support/bulk';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

const shanghaiMonth = (monthsBack = 0) => {
  const d = new Date(Date.now() + 8 * 3600_000);
  const idx = d.getUTCFullYear() * 12 + d.getUTCMonth() - monthsBack;
  return `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`;
};
const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

/**
 * The town admin's dashboard (GET /towns/current/dashboard) and the credit-export page's reads
 * (GET /credit-export/months, /failed) over a hand-made town: every number asserted below is
 * counted from what this file seeds.
 */
describe('town dashboard and credit-export reads', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  const current = shanghaiMonth(0);
  const last = shanghaiMonth(1);
  const api = (p: string) => `/api/v1${p}`;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 3);
    t = await bearers(stack.http, f);

    // Last month in village A: 3 residents × 2 approved T10 (+5) entries, finalized → 6 postings of +5, 6 outbox rows.
    const { cycleId } = await seedPublishedCycle(stack.db, f.townId, f.villageA, last, 3, 2);
    expect(await stack.api.get(FinalizeService).finalize(cycleId)).toBe('finalized');
    // One open objection on it, already past its answer deadline.
    const [entry] = await stack.db.query(`SELECT id FROM deed_entries WHERE village_id = $1 AND period = $2 LIMIT 1`, [f.villageA, last]);
    await stack.db.query(
      `INSERT INTO objections (town_id, village_id, cycle_id, entry_id, objector_name, contact, reason, due_at, number)
       SELECT $1, $2, $3, $4, '张三', '13800000000', '没有此事', now() - interval '1 day', e.record_no || '-Y1' FROM deed_entries e WHERE e.id = $4`,
      [f.townId, f.villageA, cycleId, entry.id],
    );
    // Two of the six outbox rows ran out of attempts, with what the platform answered.
    await stack.db.query(
      `UPDATE credit_outbox SET status = 'failed', attempts = 10, last_error = 'platform answered 422: {"error":"身份证号不匹配"}'
        WHERE id IN (SELECT id FROM credit_outbox WHERE town_id = $1 ORDER BY id LIMIT 2)`,
      [f.townId],
    );
    // A redemption of 5 at shop A by one of them, and one of 3 voided (both this month).
    const [acct] = await stack.db.query(`SELECT resident_id FROM accounts WHERE village_id = $1 ORDER BY resident_id LIMIT 1`, [f.villageA]);
    const ledger = stack.api.get(LedgerService);
    const shop = `shop:${f.shopA}`;
    await stack.db.transaction((m) => ledger.postOne({ accountId: acct.resident_id, kind: 'redemption', points: -5, sourceRef: 'redemption:test-1', counterparty: shop, period: current, memo: 'R1' }, m));
    await stack.db.transaction((m) => ledger.postOne({ accountId: acct.resident_id, kind: 'redemption', points: -3, sourceRef: 'redemption:test-2', counterparty: shop, period: current, memo: 'R2' }, m));
    await stack.db.transaction((m) => ledger.postOne({ accountId: acct.resident_id, kind: 'redemption_void', points: 3, sourceRef: 'void:test-2', counterparty: shop, period: current, memo: 'R2 作废' }, m));

    // This month, through the api: village A 2 × T10 and 1 × B02, village B 1 × B02; one of A's T10 withdrawn again.
    const enter = (who: FixtureUser, villageId: string, residentId: string, itemCode: string) =>
      request(stack.http).post(api(`/villages/${villageId}/entries`)).set('authorization', t[who]).send({ residentId, itemCode, occurredOn: today() }).expect(201);
    await enter('village_clerk', f.villageA, f.residentsA[0], 'T10');
    await enter('village_clerk', f.villageA, f.residentsA[1], 'T10');
    await enter('village_clerk', f.villageA, f.residentsA[2], 'B02');
    const gone = await enter('village_clerk', f.villageA, f.residentsA[2], 'T10');
    await request(stack.http).post(api(`/entries/${gone.body.id}/withdraw`)).set('authorization', t.village_clerk).send({ reason: '录错了' }).expect(200);
    await enter('clerk_b', f.villageB, f.residentsB[0], 'B02');
  });
  afterAll(async () => stack?.close());

  it('this month: entries per village (withdrawn left out), top items, redemptions per shop, grades', async () => {
    const res = await request(stack.http).get(api('/towns/current/dashboard')).query({ period: current }).set('authorization', t.town_admin).expect(200);
    const d = res.body;
    expect(d.period).toBe(current);
    expect(d.months).toHaveLength(6);
    expect(d.months[5]).toBe(current);
    expect(d.months[4]).toBe(last);
    const byId = new Map(d.villages.map((v: { villageId: string }) => [v.villageId, v]));
    expect(d.villages).toHaveLength(2);
    expect(byId.get(f.villageA)).toMatchObject({ state: 'open', entries: 3, lateEntries: 0, openObjections: 0, exportPending: 0, exportFailed: 0, closeLate: false, publishLate: false });
    expect(byId.get(f.villageB)).toMatchObject({ state: 'open', entries: 1 });
    expect(d.totals).toEqual({ villages: 2, entries: 4, closeLate: 0, publishLate: 0, openObjections: 0, overdueObjections: 0, exportPending: 4, exportFailed: 2 });
    expect(d.topItems).toEqual([
      { itemCode: 'B02', itemName: '违规占用广场、道路打场晒粮', entries: 2, points: -10 },
      { itemCode: 'T10', itemName: '适龄青年主动参军入伍', entries: 2, points: 10 },
    ]);
    // Redemptions less the void: 2 − 1 sales, 5 + 3 − 3 points.
    expect(d.redemptions).toEqual([{ period: current, shopId: f.shopA, shopName: '信义超市', redemptions: 1, points: 5 }]);
    // The three finalized residents: 1000 + 10 = 1010 → A (960 ≤ score < 1030) in the default table.
    expect(d.grades.map((g: { grade: string }) => g.grade)).toEqual(['AAA', 'AA', 'A', 'B', 'C', 'D']);
    expect(d.grades.find((g: { grade: string }) => g.grade === 'A').residents).toBe(3);
    expect(d.grades.reduce((s: number, g: { residents: number }) => s + g.residents, 0)).toBe(3);
    // Deed points by village and month: last month's finalize, nothing posted this month yet.
    expect(d.points).toEqual([{ period: last, villageId: f.villageA, added: 30, deducted: 0 }]);
  });

  it('last month: the finalized cycle, its overdue objection and its export backlog', async () => {
    const res = await request(stack.http).get(api('/towns/current/dashboard')).query({ period: last }).set('authorization', t.auditor).expect(200);
    const a = res.body.villages.find((v: { villageId: string }) => v.villageId === f.villageA);
    expect(a).toMatchObject({ state: 'finalized', entries: 6, openObjections: 1, overdueObjections: 1, exportPending: 4, exportFailed: 2, finalizeOverdue: false });
    const b = res.body.villages.find((v: { villageId: string }) => v.villageId === f.villageB);
    // No cycle at all last month: after the close day it counts as not closed in time.
    expect(b).toMatchObject({ state: null, entries: 0, exportPending: 0 });
    expect(res.body.totals).toMatchObject({ entries: 6, openObjections: 1, overdueObjections: 1 });
    expect(res.body.topItems).toEqual([{ itemCode: 'T10', itemName: '适龄青年主动参军入伍', entries: 6, points: 30 }]);
    // The charts end at the chosen month: this month's redemptions are after it.
    expect(res.body.months[5]).toBe(last);
    expect(res.body.redemptions).toEqual([]);
    expect(res.body.points).toEqual([{ period: last, villageId: f.villageA, added: 30, deducted: 0 }]);
  });

  it('scope: another town admin sees only their own town; village and shop staff are refused', async () => {
    const other = await request(stack.http).get(api('/towns/current/dashboard')).query({ period: last }).set('authorization', t.other_town_admin).expect(200);
    expect(other.body.villages.map((v: { villageId: string }) => v.villageId)).toEqual([f.villageOther]);
    expect(other.body.totals).toMatchObject({ entries: 0, exportPending: 0, exportFailed: 0, openObjections: 0 });
    expect(other.body.points).toEqual([]);
    expect(other.body.redemptions).toEqual([]);
    expect(other.body.topItems).toEqual([]);
    expect(other.body.grades.reduce((s: number, g: { residents: number }) => s + g.residents, 0)).toBe(0);
    for (const who of ['village_clerk', 'village_reviewer', 'shop_clerk'] as const) {
      expect((await request(stack.http).get(api('/towns/current/dashboard')).query({ period: last }).set('authorization', t[who]).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
    }
    await request(stack.http).get(api('/towns/current/dashboard')).query({ period: last }).expect(401);
    expect((await request(stack.http).get(api('/credit-export/failed')).set('authorization', t.other_town_admin).expect(200)).body).toEqual([]);
    expect((await request(stack.http).get(api('/credit-export/months')).set('authorization', t.other_town_admin).expect(200)).body).toEqual([]);
  });

  it('a bad or missing period is 400 with a Chinese message on the field', async () => {
    for (const q of [{ period: '2026-13' }, { period: '2026-1' }, {}]) {
      const res = await request(stack.http).get(api('/towns/current/dashboard')).query(q).set('authorization', t.town_admin).expect(400);
      expect(res.body.code).toBe('VALIDATION.FAILED');
      expect(res.body.message).toMatch(/[\u4e00-\u9fff]/);
      expect(res.body.details[0].field).toBe('period');
      expect(res.body.details[0].message).toMatch(/^期间（period）(不正确|必须填写)/);
    }
    expect((await request(stack.http).get(api('/credit-export/months')).query({ from: '26-01' }).set('authorization', t.town_admin).expect(400)).body.details[0].field).toBe('from');
  });

  it('credit export: per month counts and the failed rows with the platform’s answer', async () => {
    const months = await request(stack.http).get(api('/credit-export/months')).set('authorization', t.town_admin).expect(200);
    expect(months.body).toEqual([{ period: last, pending: 4, sent: 0, failed: 2, lastSentAt: null, lastError: 'platform answered 422: {"error":"身份证号不匹配"}' }]);
    const failed = await request(stack.http).get(api('/credit-export/failed')).set('authorization', t.auditor).expect(200);
    expect(failed.body).toHaveLength(2);
    expect(failed.body[0]).toMatchObject({ period: last, villageId: f.villageA, villageName: '东村', itemCode: 'T10', points: 5, attempts: 10, lastError: 'platform answered 422: {"error":"身份证号不匹配"}' });
    expect(failed.body[0].residentName).toMatch(/^批量\d+$/);
    expect((await request(stack.http).get(api('/credit-export/failed')).query({ period: current }).set('authorization', t.auditor).expect(200)).body).toEqual([]);
    expect((await request(stack.http).get(api('/credit-export/failed')).query({ limit: 1 }).set('authorization', t.auditor).expect(200)).body).toHaveLength(1);
  });
});
