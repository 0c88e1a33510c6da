import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf, previousPeriod, shanghaiDate } from '@app/common/time';
import { scheduledCloseAt } from '@app/review/schedule';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

/** For the staff console (issue 15): a points preview before entering, and the village's cycles. */
describe('entry preview and the village cycle list', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  const current = periodOf(new Date());
  const last = previousPeriod(current);
  const today = shanghaiDate(new Date());
  const lastMonthDay = (day: number) => `${last}-${String(day).padStart(2, '0')}`;
  const preview = (body: Record<string, unknown>, who: FixtureUser = 'village_clerk', village?: string) =>
    request(stack.http).post(`/api/v1/villages/${village ?? f.villageA}/entries/preview`).set('authorization', t[who]).send(body);
  const enter = (body: Record<string, unknown>, who: FixtureUser = 'village_clerk', village?: string) =>
    request(stack.http).post(`/api/v1/villages/${village ?? f.villageA}/entries`).set('authorization', t[who]).send(body);

  /** Row count of every table of the schema: a preview must leave each one as it was. */
  const everyTable = async (): Promise<Record<string, number>> => {
    const tables: Array<{ name: string }> = await stack.db.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`);
    const out: Record<string, number> = {};
    for (const { name } of tables) out[name] = (await stack.db.query(`SELECT count(*)::int AS n FROM "${name}"`))[0].n;
    return out;
  };

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 6);
    t = await bearers(stack.http, f);
  });
  afterAll(async () => stack?.close());

  it('scores a parking offence over the period’s standing entries plus this one, in Chinese, and writes nothing', async () => {
    const resident = f.residentsA[0];
    await enter({ residentId: resident, itemCode: 'B01', occurredOn: lastMonthDay(4) }).expect(201);
    const before = await everyTable();
    const res = await preview({ residentId: resident, itemCode: 'B01', occurredOn: lastMonthDay(11), evidenceNote: '敬告单', idempotencyKey: 'preview-key-1' }).expect(200);
    expect(res.body).toMatchObject({ period: last, late: false, occurredOn: lastMonthDay(11), residentId: resident, itemCode: 'B01', points: -10, duplicateOf: null });
    expect(res.body.explanation.codes).toContain('THRESHOLD_SCORED');
    expect(res.body.explanation.text).toMatch(/第 ?2 ?次/);
    expect(res.body.rule).toMatch(/警告/);
    expect(res.body.itemName).toBeTruthy();
    expect(await everyTable()).toEqual(before);

    // The same body entered for real gets what the preview said; the key was not used by the preview.
    const created = await enter({ residentId: resident, itemCode: 'B01', occurredOn: lastMonthDay(11), evidenceNote: '敬告单', idempotencyKey: 'preview-key-1' }).expect(201);
    expect([created.body.period, created.body.late, created.body.points, created.body.explanation]).toEqual([res.body.period, res.body.late, res.body.points, res.body.explanation]);
  });

  it('says the period and late flag: a month without a cycle yet is not created, a closed month goes to the open one', async () => {
    const before = await everyTable();
    const fresh = await preview({ residentId: f.residentsB[0], itemCode: 'T10', occurredOn: lastMonthDay(2) }, 'clerk_b', f.villageB).expect(200);
    expect(fresh.body).toMatchObject({ period: last, late: false, points: expect.any(Number) });
    expect(await everyTable()).toEqual(before);
    expect(await stack.db.query(`SELECT 1 FROM review_cycles WHERE village_id = $1`, [f.villageB])).toEqual([]);

    await request(stack.http).post(`/api/v1/villages/${f.villageA}/cycles/${last}/close`).set('authorization', t.town_admin).expect(200);
    const late = await preview({ residentId: f.residentsA[1], itemCode: 'B02', occurredOn: lastMonthDay(20) }).expect(200);
    expect(late.body).toMatchObject({ period: current, late: true, occurredOn: lastMonthDay(20), points: -5 });
    const dup = await enter({ residentId: f.residentsA[1], itemCode: 'B02', occurredOn: today }).expect(201);
    expect((await preview({ residentId: f.residentsA[1], itemCode: 'B02', occurredOn: today }).expect(200)).body.duplicateOf).toBe(dup.body.id);
  });

  it('validates like create, with the same codes, and keeps to the clerk’s village', async () => {
    const before = await everyTable();
    const r = f.residentsA[2];
    const cases: Array<[Record<string, unknown>, FixtureUser, number, string]> = [
      [{ residentId: r, itemCode: 'T99', occurredOn: today }, 'village_clerk', 422, 'ENTRY.ITEM_NOT_IN_CATALOG'],
      [{ residentId: r, itemCode: 'T57', occurredOn: today, points: 5 }, 'village_clerk', 400, 'ENTRY.REASON_REQUIRED'],
      [{ residentId: r, itemCode: 'B02', occurredOn: today, points: 3 }, 'village_clerk', 400, 'ENTRY.POINTS_NOT_ALLOWED'],
      [{ residentId: r, itemCode: 'T01', occurredOn: today }, 'village_clerk', 400, 'ENTRY.QUANTITY_REQUIRED'],
      [{ residentId: r, itemCode: 'B02', occurredOn: '2020-01-01' }, 'village_clerk', 422, 'ENTRY.DATE_OUT_OF_WINDOW'],
      [{ residentId: r, itemCode: 'B02', occurredOn: today, surprise: 1 }, 'village_clerk', 400, 'VALIDATION.FAILED'],
      [{ residentId: f.residentsB[1], itemCode: 'B02', occurredOn: today }, 'village_clerk', 403, 'AUTH.OUT_OF_SCOPE'],
      [{ residentId: r, itemCode: 'B02', occurredOn: today }, 'clerk_b', 403, 'AUTH.OUT_OF_SCOPE'],
      [{ residentId: r, itemCode: 'B02', occurredOn: today }, 'village_reviewer', 403, 'AUTH.FORBIDDEN'],
      [{ residentId: '00000000-0000-4000-8000-000000000001', itemCode: 'B02', occurredOn: today }, 'village_clerk', 404, 'ENTRY.RESIDENT_NOT_FOUND'],
    ];
    for (const [body, who, status, code] of cases) {
      const res = await preview(body, who);
      expect([res.status, res.body.code], `${who} ${JSON.stringify(body)}`).toEqual([status, code]);
    }
    expect(await everyTable()).toEqual(before);
  });

  it('lists the village’s cycles, open ones first, with state, scheduled close and window end; scoped like the sheet', async () => {
    const older = previousPeriod(last);
    await stack.db.query(`INSERT INTO review_cycles (town_id, village_id, period, state, closed_at, published_at, window_ends_at) VALUES ($1, $2, $3, 'publicized', now(), now(), now() + interval '7 days')`, [
      f.townId,
      f.villageA,
      older,
    ]);
    const res = await request(stack.http).get(`/api/v1/villages/${f.villageA}/cycles`).set('authorization', t.village_clerk).expect(200);
    expect(res.body).toMatchObject({ villageId: f.villageA, closeDay: 5 });
    const cycles = res.body.cycles as Array<{ period: string; state: string; entries: number; scheduledCloseAt: string | null; windowEndsAt: string | null }>;
    expect(cycles.map((c) => [c.period, c.state])).toEqual([
      [current, 'open'],
      [last, 'closed'],
      [older, 'publicized'],
    ]);
    expect(cycles[0].scheduledCloseAt).toBe(scheduledCloseAt(current, 5).toISOString());
    expect(cycles[1]).toMatchObject({ scheduledCloseAt: null, entries: 2 }); // the two parking offences
    expect(cycles[2].windowEndsAt).not.toBeNull();

    // Two open at once: both first, the older (next to close) leading; a reopened one has no scheduled close.
    await request(stack.http).post(`/api/v1/villages/${f.villageA}/cycles/${last}/reopen`).set('authorization', t.town_admin).send({ reason: '补录' }).expect(200);
    const two = await request(stack.http).get(`/api/v1/villages/${f.villageA}/cycles`).set('authorization', t.auditor).expect(200);
    expect(two.body.cycles.map((c: { period: string; state: string; scheduledCloseAt: string | null }) => [c.period, c.state, c.scheduledCloseAt === null])).toEqual([
      [last, 'open', true],
      [current, 'open', false],
      [older, 'publicized', true],
    ]);

    expect((await request(stack.http).get(`/api/v1/villages/${f.villageA}/cycles`).set('authorization', t.clerk_b).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect((await request(stack.http).get(`/api/v1/villages/${f.villageA}/cycles`).set('authorization', t.other_town_admin).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect((await request(stack.http).get(`/api/v1/villages/not-a-uuid/cycles`).set('authorization', t.town_admin).expect(400)).body.code).toBe('VALIDATION.FAILED');
  });

  it('both answers are typed in the OpenAPI document (the console’s client is generated from it)', async () => {
    const doc = (await request(stack.http).get('/docs-json').expect(200)).body;
    const schemaOf = (path: string, method: string) => doc.paths[path][method].responses['200'].content['application/json'].schema.$ref;
    expect(schemaOf('/api/v1/villages/{villageId}/entries/preview', 'post')).toBe('#/components/schemas/EntryPreviewDto');
    expect(schemaOf('/api/v1/villages/{villageId}/cycles', 'get')).toBe('#/components/schemas/CycleListDto');
    expect(schemaOf('/api/v1/villages/{villageId}/entries', 'get')).toBe('#/components/schemas/EntryPageDto');
    const preview = doc.components.schemas.EntryPreviewDto;
    expect(preview.required).toEqual(expect.arrayContaining(['period', 'late', 'points', 'explanation', 'rule']));
    expect(doc.components.schemas.CycleSummaryDto.required).toEqual(expect.arrayContaining(['period', 'state', 'windowEndsAt', 'scheduledCloseAt']));
    expect(doc.components.schemas.EntryDto.required).toContain('late');
  });
});
