import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf, previousPeriod, shanghaiDate } from '@app/common/time';
import { CycleCloseService } from '@app/review/cycle-close.service';
import { ReconcileService } from '@app/review/reconcile.service';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

/**
 * Period rules count only the entries that still stand (invariant 7: points come from the
 * catalogue rule). B01 (illegal parking) is a warning the first time in a period and -10 from
 * the second: if the meeting rejects the first as the wrong person, the second is the first.
 */
describe('after close: decisions re-score the period, and a reopened cycle stays open', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  const period = periodOf(new Date());
  const today = shanghaiDate(new Date());
  const cyc = (suffix = '') => `/api/v1/villages/${f.villageA}/cycles/${period}${suffix}`;
  const pointsOf = async (id: string) => (await stack.db.query(`SELECT final_points AS p FROM entry_states WHERE entry_id = $1`, [id]))[0].p as number;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 2);
    t = await bearers(stack.http, f);
  });
  afterAll(async () => stack?.close());

  it('two parking offences, the warning rejected: the second is a warning on the sheet, the board and for finalize', async () => {
    const enter = async () =>
      (await request(stack.http).post(`/api/v1/villages/${f.villageA}/entries`).set('authorization', t.village_clerk).send({ residentId: f.residentsA[0], itemCode: 'B01', occurredOn: today }).expect(201)).body.id as string;
    const a = await enter();
    const b = await enter();
    await request(stack.http).post(cyc('/close')).set('authorization', t.town_admin).expect(200);
    // Same day: which one counts first is the rule's tie-break, not ours to assume.
    const [first, second] = (await pointsOf(a)) === 0 ? [a, b] : [b, a];
    expect([await pointsOf(first), await pointsOf(second)]).toEqual([0, -10]);

    const reviewer = { authorization: t.village_reviewer };
    await request(stack.http).post(cyc('/meeting')).set(reviewer).send({ heldOn: today, attendees: ['王书记'], minutes: '审议' }).expect(200);
    await request(stack.http)
      .post(cyc('/decisions'))
      .set(reviewer)
      .send({ decisions: [{ entryId: first, decision: 'reject', reason: '认错了人' }, { entryId: second, decision: 'approve' }] })
      .expect(200);
    expect(await pointsOf(second)).toBe(0);
    const sheet = await request(stack.http).get(cyc()).set(reviewer).expect(200);
    expect(sheet.body.entries.find((e: { id: string }) => e.id === second).finalPoints).toBe(0);
    // Deciding the same again writes no new assessment.
    const events = async () => (await stack.db.query(`SELECT count(*)::int AS n FROM entry_events WHERE entry_id = $1 AND type = 'assessed'`, [second]))[0].n as number;
    const n = await events();
    await request(stack.http).post(cyc('/decisions')).set(reviewer).send({ decisions: [{ entryId: second, decision: 'approve' }] }).expect(200);
    expect(await events()).toBe(n);

    await request(stack.http).post(cyc('/publish')).set(reviewer).expect(200);
    const [board] = await stack.db.query(`SELECT content FROM boards WHERE village_id = $1 AND period = $2`, [f.villageA, period]);
    const lines = board.content.residents.flatMap((r: { lines: Array<{ entryId: string; points: number }> }) => r.lines);
    expect(lines).toEqual([expect.objectContaining({ entryId: second, points: 0 })]);
  });

  it('a cycle an admin reopened stays open until they close it; reconcile does not close it again', async () => {
    // Two months back: its close day has passed whatever today is (last month's may not have).
    const past = previousPeriod(previousPeriod(period));
    const path = (suffix: string) => `/api/v1/villages/${f.villageB}/cycles/${past}${suffix}`;
    await stack.db.query(`INSERT INTO review_cycles (town_id, village_id, period) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [f.townId, f.villageB, past]);
    const closing = stack.api.get(CycleCloseService);
    const reconciling = stack.api.get(ReconcileService);
    const state = async () => (await stack.db.query(`SELECT state FROM review_cycles WHERE village_id = $1 AND period = $2`, [f.villageB, past]))[0].state as string;
    // A past period left open is due: reconcile queues its close (run here as the job would).
    expect((await reconciling.reconcile()).close).toBeGreaterThanOrEqual(1);
    await closing.handleClose({ villageId: f.villageB, period: past });
    expect(await state()).toBe('closed');
    await request(stack.http).post(path('/reopen')).set('authorization', t.town_admin).send({ reason: '补录漏记的事项' }).expect(200);
    expect(await state()).toBe('open');
    const due = await stack.db.query(`SELECT 1 FROM review_cycles WHERE village_id = $1 AND period = $2 AND state = 'open' AND closed_at IS NULL`, [f.villageB, past]);
    expect(due).toEqual([]);
    await reconciling.reconcile();
    await closing.handleClose({ villageId: f.villageB, period: past }); // what a close job queued before the reopen would do
    expect(await state()).toBe('open');
    await request(stack.http).post(path('/close')).set('authorization', t.town_admin).expect(200);
    expect(await state()).toBe('closed');
  });
});
