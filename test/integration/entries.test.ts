import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nextPeriod, periodOf, shanghaiDate } from '@app/common/time';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

describe('deed entries (single)', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  const today = shanghaiDate(new Date());
  const url = (v: string) => `/api/v1/villages/${v}/entries`;
  const post = (body: Record<string, unknown>, who: FixtureUser = 'village_clerk', village?: string) =>
    request(stack.http).post(url(village ?? f.villageA)).set('authorization', t[who]).send(body);
  const count = async () => (await stack.db.query(`SELECT count(*)::int AS n FROM deed_entries`))[0].n as number;
  let resident: string;
  let n = 0;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 30);
    t = await bearers(stack.http, f);
  });
  afterAll(async () => stack?.close());
  // A fresh resident per test keeps rule history (thresholds, bands) independent between tests.
  beforeEach(() => {
    resident = f.residentsA[n++];
  });

  it('scores a fixed item from the catalogue rule and files it in the open period', async () => {
    const res = await post({ residentId: resident, itemCode: 'B02', occurredOn: today, evidenceNote: '照片 3 张' }).expect(201);
    expect(res.body).toMatchObject({ itemCode: 'B02', points: -5, period: periodOf(new Date()), status: 'submitted', duplicateOf: null });
    expect(res.body.explanation.text).toMatch(/5/);
    const events = await stack.db.query(`SELECT type FROM entry_events WHERE entry_id = $1`, [res.body.id]);
    expect(events.map((e: { type: string }) => e.type)).toEqual(['submitted']);
    const audit = await stack.db.query(`SELECT action, actor_role FROM audit_log WHERE target_id = $1`, [res.body.id]);
    expect(audit).toEqual([{ action: 'entry.create', actor_role: 'village_clerk' }]);
  });

  // Same-day occurrences are ordered by id (never by typing order), so the offences are a day apart.
  it('records the first parking offence as a 0-point warning and scores the second −10', async () => {
    const yesterday = shanghaiDate(new Date(Date.now() - 86_400_000));
    const first = await post({ residentId: resident, itemCode: 'B01', occurredOn: yesterday }).expect(201);
    expect(first.body.points).toBe(0);
    expect(first.body.explanation.codes).toContain('THRESHOLD_WARNING');
    const second = await post({ residentId: resident, itemCode: 'B01', occurredOn: today, evidenceNote: '第二次' }).expect(201);
    expect(second.body.points).toBe(-10);
  });

  // Entries are ordered by (occurredOn, id), never by typing order: a day apart, so the second crosses the band.
  it('awards volunteer hours by cumulative band: 12 h → +2, then 10 h more (22 h) → +3', async () => {
    const yesterday = shanghaiDate(new Date(Date.now() - 86_400_000));
    expect((await post({ residentId: resident, itemCode: 'T01', occurredOn: yesterday, quantity: 12 }).expect(201)).body.points).toBe(2);
    expect((await post({ residentId: resident, itemCode: 'T01', occurredOn: today, quantity: 10 }).expect(201)).body.points).toBe(3);
  });

  it('lets the committee choose range points within [min, max] with a reason, and only then', async () => {
    const ok = await post({ residentId: resident, itemCode: 'T57', occurredOn: today, points: 8, reason: '救落水儿童' }).expect(201);
    expect(ok.body.points).toBe(8);
    const before = await count();
    expect((await post({ residentId: resident, itemCode: 'T57', occurredOn: today, points: 21, reason: 'x' }).expect(400)).body.code).toBe('ENTRY.POINTS_OUT_OF_RANGE');
    expect((await post({ residentId: resident, itemCode: 'T57', occurredOn: today, points: 5 }).expect(400)).body.code).toBe('ENTRY.REASON_REQUIRED');
    expect((await post({ residentId: resident, itemCode: 'T57', occurredOn: today, reason: 'x' }).expect(400)).body.code).toBe('ENTRY.POINTS_REQUIRED');
    expect(await count()).toBe(before);
  });

  it('refuses client-chosen points on any non-range item (invariant 7)', async () => {
    const before = await count();
    for (const itemCode of ['B02', 'B01', 'T10']) {
      const res = await post({ residentId: resident, itemCode, occurredOn: today, points: 50 }).expect(400);
      expect(res.body.code).toBe('ENTRY.POINTS_NOT_ALLOWED');
    }
    expect(await count()).toBe(before);
  });

  it('answers bad quantities, items, dates and fields with stable codes and stores nothing', async () => {
    const before = await count();
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ itemCode: 'T01', occurredOn: today }, 400, 'ENTRY.QUANTITY_REQUIRED'],
      [{ itemCode: 'T01', occurredOn: today, quantity: 0 }, 400, 'ENTRY.QUANTITY_INVALID'],
      [{ itemCode: 'T01', occurredOn: today, quantity: -3 }, 400, 'VALIDATION.FAILED'],
      [{ itemCode: 'T01', occurredOn: today, quantity: 1e9 }, 400, 'VALIDATION.FAILED'],
      [{ itemCode: 'B02', occurredOn: today, quantity: 4 }, 400, 'ENTRY.QUANTITY_NOT_ALLOWED'],
      [{ itemCode: 'T99', occurredOn: today }, 422, 'ENTRY.ITEM_NOT_IN_CATALOG'],
      [{ itemCode: 'X1', occurredOn: today }, 400, 'VALIDATION.FAILED'],
      [{ itemCode: 'B02', occurredOn: '2099-01-01' }, 422, 'ENTRY.DATE_OUT_OF_WINDOW'],
      [{ itemCode: 'B02', occurredOn: '2020-01-01' }, 422, 'ENTRY.DATE_OUT_OF_WINDOW'],
      [{ itemCode: 'B02', occurredOn: '2026-02-30x' }, 400, 'VALIDATION.FAILED'],
      [{ itemCode: 'B02', occurredOn: today, surprise: 1 }, 400, 'VALIDATION.FAILED'],
      [{ itemCode: 'B02', occurredOn: today, evidenceNote: 'x'.repeat(1001) }, 400, 'VALIDATION.FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post({ residentId: resident, ...body });
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([status, code]);
    }
    const missing = await post({ itemCode: 'B02' }).expect(400);
    expect(missing.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['occurredOn', 'residentId']);
    expect(await count()).toBe(before);
  });

  it('keeps a clerk to their own village and residents (invariant 6)', async () => {
    const before = await count();
    expect((await post({ residentId: f.residentsB[0], itemCode: 'B02', occurredOn: today }).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect((await post({ residentId: f.residentsB[0], itemCode: 'B02', occurredOn: today }, 'village_clerk', f.villageB).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect((await post({ residentId: resident, itemCode: 'B02', occurredOn: today }, 'village_reviewer').expect(403)).body.code).toBe('AUTH.FORBIDDEN');
    expect((await post({ residentId: resident, itemCode: 'B02', occurredOn: today }, 'village_clerk', '00000000-0000-4000-8000-000000000000').expect(404)).body.code).toBe('ORG.VILLAGE_NOT_FOUND');
    const unknown = await post({ residentId: '00000000-0000-4000-8000-000000000001', itemCode: 'B02', occurredOn: today }).expect(404);
    expect(unknown.body.code).toBe('ENTRY.RESIDENT_NOT_FOUND');
    expect(await count()).toBe(before);
  });

  it('refuses entries for a resident who is not active', async () => {
    await stack.db.query(`UPDATE residents SET status = 'moved' WHERE id = $1`, [resident]);
    expect((await post({ residentId: resident, itemCode: 'B02', occurredOn: today }).expect(409)).body.code).toBe('ENTRY.RESIDENT_NOT_ACTIVE');
  });

  it('idempotency key: same body returns the same entry, a different body is 409, a race stores one', async () => {
    const body = { residentId: resident, itemCode: 'B03', occurredOn: today, idempotencyKey: `k-${resident}` };
    const a = await post(body).expect(201);
    const b = await post(body).expect(200);
    expect(b.body.id).toBe(a.body.id);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect((await post({ ...body, itemCode: 'B02' }).expect(409)).body.code).toBe('ENTRY.IDEMPOTENCY_CONFLICT');
    const race = { ...body, idempotencyKey: `race-${resident}` };
    const results = await Promise.all(Array.from({ length: 8 }, () => post(race)));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const [{ n: stored }] = await stack.db.query(`SELECT count(*)::int AS n FROM deed_entries WHERE idempotency_key = $1`, [race.idempotencyKey]);
    expect(stored).toBe(1);
  });

  it('flags a likely duplicate (same resident, item, day) for the meeting without merging', async () => {
    const a = await post({ residentId: resident, itemCode: 'T10', occurredOn: today }).expect(201);
    const b = await post({ residentId: resident, itemCode: 'T10', occurredOn: today }).expect(201);
    expect(b.body.duplicateOf).toBe(a.body.id);
    expect(a.body.id).not.toBe(b.body.id);
    const events = await stack.db.query(`SELECT type, data FROM entry_events WHERE entry_id = $1 ORDER BY id`, [b.body.id]);
    expect(events).toEqual([
      { type: 'submitted', data: null },
      { type: 'flagged_duplicate', data: { duplicateOf: a.body.id } },
    ]);
  });

  it('withdraws an entry while its period is open, once, as an event', async () => {
    const e = await post({ residentId: resident, itemCode: 'B02', occurredOn: today }).expect(201);
    const w = await request(stack.http).post(`/api/v1/entries/${e.body.id}/withdraw`).set('authorization', t.village_clerk).send({ reason: '录错了' }).expect(200);
    expect(w.body.status).toBe('withdrawn');
    const again = await request(stack.http).post(`/api/v1/entries/${e.body.id}/withdraw`).set('authorization', t.village_clerk).send({ reason: '再撤' }).expect(409);
    expect(again.body.code).toBe('ENTRY.NOT_WITHDRAWABLE');
    const other = await request(stack.http).post(`/api/v1/entries/${e.body.id}/withdraw`).set('authorization', t.clerk_b).send({ reason: 'x' }).expect(403);
    expect(other.body.code).toBe('AUTH.OUT_OF_SCOPE');
    const [{ n }] = await stack.db.query(`SELECT count(*)::int AS n FROM deed_entries WHERE id = $1`, [e.body.id]);
    expect(n).toBe(1);
  });

  it('lists the open period with filters and cursor pagination, each entry explained', async () => {
    for (let i = 0; i < 3; i++) await post({ residentId: resident, itemCode: 'T10', occurredOn: today }).expect(201);
    const page1 = await request(stack.http).get(url(f.villageA)).query({ residentId: resident, limit: 2 }).set('authorization', t.village_reviewer).expect(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.items[0].explanation.text).toBeTruthy();
    const page2 = await request(stack.http).get(url(f.villageA)).query({ residentId: resident, limit: 2, after: page1.body.next }).set('authorization', t.village_reviewer).expect(200);
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.next).toBeNull();
    expect((await request(stack.http).get(url(f.villageA)).query({ limit: 501 }).set('authorization', t.auditor).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await request(stack.http).get(url(f.villageA)).query({ period: '2026-13' }).set('authorization', t.auditor).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await request(stack.http).get(url(f.villageA)).set('authorization', t.other_town_admin).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
  });

  it('files entries typed after the period was closed early into the next period', async () => {
    const period = periodOf(new Date());
    await stack.db.query(`INSERT INTO review_cycles (town_id, village_id, period, state) VALUES ($1, $2, $3, 'closed')
      ON CONFLICT (village_id, period, town_id) DO UPDATE SET state = 'closed'`, [f.townId, f.villageA, period]);
    const res = await post({ residentId: resident, itemCode: 'B02', occurredOn: today }).expect(201);
    expect(res.body.period).toBe(nextPeriod(period));
    await stack.db.query(`UPDATE review_cycles SET state = 'open' WHERE village_id = $1 AND period = $2`, [f.villageA, period]);
  });

  it('UPDATE and DELETE of entries and entry events are refused by PostgreSQL (invariant 1)', async () => {
    const e = await post({ residentId: resident, itemCode: 'B02', occurredOn: today }).expect(201);
    for (const sql of [
      `UPDATE deed_entries SET points = 100 WHERE id = '${e.body.id}'`,
      `DELETE FROM deed_entries WHERE id = '${e.body.id}'`,
      `UPDATE entry_events SET type = 'approved' WHERE entry_id = '${e.body.id}'`,
      `DELETE FROM entry_events WHERE entry_id = '${e.body.id}'`,
      `TRUNCATE entry_events`,
    ]) {
      await expect(stack.db.query(sql), sql).rejects.toMatchObject({ driverError: { code: '55A01' } });
    }
    const [row] = await stack.db.query(`SELECT points FROM deed_entries WHERE id = $1`, [e.body.id]);
    expect(row.points).toBe(-5);
  });

  it('every table that refuses UPDATE and DELETE refuses TRUNCATE too (invariant 1)', async () => {
    const rows: Array<{ table: string; truncate: boolean }> = await stack.db.query(`
      SELECT c.relname AS table,
             EXISTS (SELECT 1 FROM pg_trigger x WHERE x.tgrelid = c.oid AND (x.tgtype & 32) <> 0 AND NOT x.tgisinternal) AS truncate
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
       WHERE p.proname = 'refuse_change' AND (t.tgtype & 32) = 0 AND NOT t.tgisinternal
       GROUP BY c.oid, c.relname ORDER BY c.relname`);
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(rows.filter((r) => !r.truncate).map((r) => r.table)).toEqual([]);
  });
});
