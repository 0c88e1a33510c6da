import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf, previousPeriod, shanghaiDate } from '@app/common/time';
import { FinalizeService } from '@app/review/finalize.service';
import { DEFAULT_GRADE_THRESHOLDS } from '@app/scoring/grade';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

/** Issue 12 §2: grades and posting order that match the rules. */
describe('grades without postings, and postings in deed order', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let apiKey: string;
  const last = previousPeriod(periodOf(new Date()));
  const today = shanghaiDate(new Date());
  const day = (d: number) => `${last}-${String(d).padStart(2, '0')}`;
  const card = async (id: string) => (await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [id]))[0].card_code as string;
  const statement = (id: string) => request(stack.http).get(`/api/v1/residents/${id}/statement`).set('authorization', t.auditor);
  const lookup = async (id: string) => request(stack.http).get(`/api/v1/terminal/residents/${await card(id)}`).set('x-api-key', apiKey);

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 8);
    t = await bearers(stack.http, f);
    apiKey = (await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', t.town_admin).send({ name: '收银台' }).expect(201)).body.apiKey;
  });
  afterAll(async () => stack?.close());

  it('a resident with no postings has the grade of the base score (1000 → A) on the statement and at the terminal', async () => {
    const r = f.residentsA[7];
    expect(await stack.db.query(`SELECT 1 FROM accounts WHERE resident_id = $1`, [r])).toEqual([]);
    const s = await statement(r).expect(200);
    expect(s.body).toMatchObject({ currentCreditScore: 1000, currentGrade: 'A', currentBalance: 0, lines: [] });
    expect((await lookup(r)).body).toMatchObject({ grade: 'A', balance: 0 });

    // The town's own table decides: 1000 is ★★ in a star table.
    const stars = [
      { grade: '★★★★★', min: 1061 },
      { grade: '★★★', min: 1020 },
      { grade: '★★', min: 990 },
      { grade: '★', min: Number.MIN_SAFE_INTEGER },
    ];
    await request(stack.http).patch('/api/v1/towns/current/settings').set('authorization', t.town_admin).send({ gradeThresholds: stars }).expect(200);
    expect((await statement(r).expect(200)).body.currentGrade).toBe('★★');
    expect((await lookup(r)).body.grade).toBe('★★');
    await request(stack.http).patch('/api/v1/towns/current/settings').set('authorization', t.town_admin).send({ baseScore: 1030 }).expect(200);
    expect((await statement(r).expect(200)).body).toMatchObject({ currentCreditScore: 1030, currentGrade: '★★★' });
    expect((await lookup(r)).body.grade).toBe('★★★');
    await request(stack.http).patch('/api/v1/towns/current/settings').set('authorization', t.town_admin).send({ baseScore: 1000, gradeThresholds: DEFAULT_GRADE_THRESHOLDS }).expect(200);
  });

  it('one finalize posts each account in deed order: parking on the 4th, 11th and 18th → 0, −10, −10 by seq', async () => {
    const enter = (residentId: string, itemCode: string, occurredOn: string) =>
      request(stack.http).post(`/api/v1/villages/${f.villageA}/entries`).set('authorization', t.village_clerk).send({ residentId, itemCode, occurredOn }).expect(201);
    // Typed out of order, several residents: an order by entry id (random) would pass by luck at most once in 6^4.
    const parkers = f.residentsA.slice(0, 4);
    for (const r of parkers) {
      await enter(r, 'B01', day(18));
      await enter(r, 'B01', day(4));
      await enter(r, 'B01', day(11));
    }
    // Same day: the tie is broken by entry id, as the rule engine does.
    const sameDay = f.residentsA[4];
    const twins = [(await enter(sameDay, 'B02', day(6))).body.id, (await enter(sameDay, 'B02', day(6))).body.id].sort();

    const cyc = (s = '') => `/api/v1/villages/${f.villageA}/cycles/${last}${s}`;
    await request(stack.http).post(cyc('/close')).set('authorization', t.town_admin).expect(200);
    const sheet = await request(stack.http).get(cyc()).set('authorization', t.village_reviewer).expect(200);
    await request(stack.http).post(cyc('/meeting')).set('authorization', t.village_reviewer).send({ heldOn: today, attendees: ['王书记'], minutes: '审议' }).expect(200);
    await request(stack.http)
      .post(cyc('/decisions'))
      .set('authorization', t.village_reviewer)
      .send({ decisions: sheet.body.entries.map((e: { id: string }) => ({ entryId: e.id, decision: 'approve' })) })
      .expect(200);
    const published = await request(stack.http).post(cyc('/publish')).set('authorization', t.village_reviewer).expect(200);
    expect(await stack.api.get(FinalizeService).finalize(published.body.id, new Date(Date.now() + 30 * 86_400_000))).toBe('finalized');

    for (const r of parkers) {
      const postings = await stack.db.query(
        `SELECT p.seq, p.points, to_char(e.occurred_on, 'DD') AS d FROM postings p JOIN deed_entries e ON p.source_ref = 'entry:' || e.id::text
          WHERE p.account_id = $1 ORDER BY p.seq`,
        [r],
      );
      expect(postings.map((p: { d: string; points: number }) => [p.d, p.points])).toEqual([
        ['04', 0],
        ['11', -10],
        ['18', -10],
      ]);
      const lines = (await statement(r).expect(200)).body.lines as Array<{ points: number }>;
      expect(lines.map((l) => l.points)).toEqual([0, -10, -10]);
    }
    const twinPostings = await stack.db.query(`SELECT source_ref FROM postings WHERE account_id = $1 ORDER BY seq`, [sameDay]);
    expect(twinPostings.map((p: { source_ref: string }) => p.source_ref)).toEqual(twins.map((id) => `entry:${id}`));
    // With postings the account's own grade shows: 1000 − 20 = 980 is still A.
    expect((await statement(parkers[0]).expect(200)).body).toMatchObject({ currentCreditScore: 980, currentGrade: 'A' });
  });
});
