import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextPeriod, periodOf, previousPeriod, shanghaiDate } from '@app/common/time';
import { FinalizeService } from '@app/review/finalize.service';
import { ReconcileService } from '@app/review/reconcile.service';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { waitFor } from '../support/wait-for';

describe('the monthly cycle end to end: enter, close, review, publish, object, answer, finalize', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  const period = periodOf(new Date());
  const today = shanghaiDate(new Date());
  const yesterday = shanghaiDate(new Date(Date.now() - 86_400_000));
  const cyc = (suffix = '') => `/api/v1/villages/${f.villageA}/cycles/${period}${suffix}`;
  const as = (who: FixtureUser) => ({ authorization: t[who] });
  const ids: Record<string, string> = {};
  let boardBefore: unknown;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    f = await seedTown(stack.db, 4);
    t = await bearers(stack.http, f);
    // Last month is closed, as it is after the close day: on the 1st, yesterday's deed then joins
    // this month (late) instead of last month's still-open cycle, so the test runs on any day.
    await stack.db.query(`INSERT INTO review_cycles (town_id, village_id, period, state, closed_at) VALUES ($1, $2, $3, 'closed', now())`, [f.townId, f.villageA, previousPeriod(period)]);
  });
  afterAll(async () => stack?.close());

  it('clerk enters the month', async () => {
    const [r0, r1, r2, r3] = f.residentsA;
    const enter = async (key: string, body: Record<string, unknown>) => {
      const res = await request(stack.http).post(`/api/v1/villages/${f.villageA}/entries`).set(as('village_clerk')).send(body).expect(201);
      ids[key] = res.body.id;
      return res.body;
    };
    await enter('volunteer', { residentId: r0, itemCode: 'T01', occurredOn: today, quantity: 25 });
    await enter('parking1', { residentId: r1, itemCode: 'B01', occurredOn: yesterday });
    await enter('parking2', { residentId: r1, itemCode: 'B01', occurredOn: today });
    await enter('brave', { residentId: r2, itemCode: 'T57', occurredOn: today, points: 10, reason: '扑救邻居家火情' });
    await enter('litter', { residentId: r3, itemCode: 'B02', occurredOn: today });
    await enter('army', { residentId: r3, itemCode: 'T10', occurredOn: today });
  });

  it('publishing or deciding before close is refused', async () => {
    expect((await request(stack.http).post(cyc('/publish')).set(as('village_reviewer')).expect(409)).body.code).toBe('CYCLE.WRONG_STATE');
  });

  it('town admin closes early: period rules assessed over the whole period, later entries go to the next period', async () => {
    const res = await request(stack.http).post(cyc('/close')).set(as('town_admin')).expect(200);
    expect(res.body.state).toBe('closed');
    const sheet = await request(stack.http).get(cyc()).set(as('village_reviewer')).expect(200);
    const byId = new Map(sheet.body.entries.map((e: { id: string }) => [e.id, e]));
    expect((byId.get(ids.volunteer) as { finalPoints: number }).finalPoints).toBe(5);
    expect((byId.get(ids.parking1) as { finalPoints: number }).finalPoints).toBe(0);
    expect((byId.get(ids.parking2) as { finalPoints: number }).finalPoints).toBe(-10);
    const late = await request(stack.http)
      .post(`/api/v1/villages/${f.villageA}/entries`)
      .set(as('village_clerk'))
      .send({ residentId: f.residentsA[0], itemCode: 'T10', occurredOn: today })
      .expect(201);
    expect(late.body.period).toBe(nextPeriod(period));
    expect((await request(stack.http).post(cyc('/close')).set(as('town_admin')).expect(409)).body.code).toBe('CYCLE.WRONG_STATE');
  });

  it('the meeting decides each entry; bad decisions change nothing', async () => {
    const noMeetingPublish = await request(stack.http).post(cyc('/publish')).set(as('village_reviewer')).expect(409);
    expect(noMeetingPublish.body.code).toBe('CYCLE.UNDECIDED_ENTRIES');
    await request(stack.http).post(cyc('/meeting')).set(as('village_reviewer')).send({ heldOn: today, attendees: ['王书记', '李主任'], minutes: '逐条审议本月记录' }).expect(200);
    const noReason = await request(stack.http).post(cyc('/decisions')).set(as('village_reviewer')).send({ decisions: [{ entryId: ids.litter, decision: 'reject' }] }).expect(400);
    expect(noReason.body.code).toBe('REVIEW.REASON_REQUIRED');
    const [foreign] = await stack.db.query(
      `INSERT INTO review_cycles (town_id, village_id, period) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id`,
      [f.townId, f.villageB, period],
    );
    void foreign;
    const alien = await request(stack.http)
      .post(cyc('/decisions'))
      .set(as('village_reviewer'))
      .send({ decisions: [{ entryId: ids.volunteer, decision: 'approve' }, { entryId: '00000000-0000-4000-8000-00000000000a', decision: 'approve' }] })
      .expect(422);
    expect(alien.body.code).toBe('REVIEW.ENTRY_NOT_IN_CYCLE');
    const [{ status }] = await stack.db.query(`SELECT status FROM entry_states WHERE entry_id = $1`, [ids.volunteer]);
    expect(status).toBe('submitted');
    const outsider = await request(stack.http).post(`/api/v1/villages/${f.villageB}/cycles/${period}/decisions`).set(as('village_reviewer')).send({ decisions: [{ entryId: ids.volunteer, decision: 'approve' }] }).expect(403);
    expect(outsider.body.code).toBe('AUTH.OUT_OF_SCOPE');

    const ok = await request(stack.http)
      .post(cyc('/decisions'))
      .set(as('village_reviewer'))
      .send({
        decisions: [
          { entryId: ids.volunteer, decision: 'approve' },
          { entryId: ids.parking1, decision: 'approve' },
          { entryId: ids.parking2, decision: 'approve' },
          { entryId: ids.brave, decision: 'approve' },
          { entryId: ids.army, decision: 'approve' },
          { entryId: ids.litter, decision: 'reject', reason: '照片无法辨认当事人' },
        ],
      })
      .expect(200);
    expect(ok.body).toMatchObject({ decided: 6, cycle: { state: 'reviewed' } });
  });

  it('publish fixes the board (masked names only) and opens the objection window', async () => {
    const res = await request(stack.http).post(cyc('/publish')).set(as('village_reviewer')).expect(200);
    expect(res.body.state).toBe('publicized');
    const windowDays = (new Date(res.body.windowEndsAt).getTime() - Date.now()) / 86_400_000;
    expect(windowDays).toBeGreaterThan(6.9);
    const [board] = await stack.db.query(`SELECT content FROM boards WHERE village_id = $1 AND period = $2`, [f.villageA, period]);
    boardBefore = board.content;
    const text = JSON.stringify(board.content);
    expect(text).not.toMatch(/测试\d/); // fixture names are 测试N: only 测* may appear
    expect(board.content.totals.entries).toBe(5);
    expect(board.content.residents.flatMap((r: { lines: Array<{ entryId: string }> }) => r.lines.map((l) => l.entryId))).not.toContain(ids.litter);
    expect(board.content.redList[0].total).toBeGreaterThan(0);
    expect(board.content.blackList[0].total).toBe(-10);
    const late = await request(stack.http).post(cyc('/decisions')).set(as('village_reviewer')).send({ decisions: [{ entryId: ids.army, decision: 'reject', reason: 'x' }] }).expect(409);
    expect(late.body.code).toBe('CYCLE.WRONG_STATE');
  });

  it('anyone may object during the window; bad objections are refused', async () => {
    const url = `/api/v1/public/boards/${f.villageA}/${period}/objections`;
    const ok = await request(stack.http).post(url).send({ entryId: ids.brave, name: '邻居', contact: '13800000000', reason: '火是他自己家的' }).expect(201);
    expect(new Date(ok.body.dueAt).getTime()).toBeGreaterThan(Date.now());
    ids.objectionBrave = ok.body.id;
    const ok2 = await request(stack.http).post(url).send({ entryId: ids.army, name: '村民', contact: '13900000000', reason: '他还没有入伍' }).expect(201);
    ids.objectionArmy = ok2.body.id;
    expect((await request(stack.http).post(url).send({ entryId: ids.litter, name: 'a', contact: '123', reason: '不在栏上' }).expect(422)).body.code).toBe('OBJECTION.ENTRY_NOT_ON_BOARD');
    expect((await request(stack.http).post(url).send({ entryId: ids.army, name: 'a', contact: '123', reason: '' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await request(stack.http).post(url).send({ entryId: ids.army, name: 'a', contact: '123', reason: 'x'.repeat(1001) }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await request(stack.http).post(`/api/v1/public/boards/${f.villageB}/${period}/objections`).send({ entryId: ids.army, name: 'a', contact: '123', reason: '无此公示' }).expect(404)).body.code).toBe('BOARD.NOT_FOUND');
    const [{ disputed }] = await stack.db.query(`SELECT disputed FROM entry_states WHERE entry_id = $1`, [ids.brave]);
    expect(disputed).toBe(true);
  });

  it('the reviewer answers: dismissed stands, upheld is withdrawn; an answer is final', async () => {
    const dismissed = await request(stack.http).post(`/api/v1/objections/${ids.objectionBrave}/answer`).set(as('village_reviewer')).send({ outcome: 'dismissed', answer: '经核实确为扑救邻居家火情' }).expect(200);
    expect(dismissed.body.outcome).toBe('dismissed');
    expect((await request(stack.http).post(`/api/v1/objections/${ids.objectionBrave}/answer`).set(as('village_reviewer')).send({ outcome: 'upheld', answer: '改判' }).expect(409)).body.code).toBe('OBJECTION.ALREADY_ANSWERED');
    await request(stack.http).post(`/api/v1/objections/${ids.objectionArmy}/answer`).set(as('village_reviewer')).send({ outcome: 'upheld', answer: '尚未入伍，撤销' }).expect(200);
    const states = await stack.db.query(`SELECT entry_id, status, disputed FROM entry_states WHERE entry_id = ANY($1::uuid[]) ORDER BY entry_id`, [[ids.brave, ids.army]]);
    expect(Object.fromEntries(states.map((s: { entry_id: string; status: string; disputed: boolean }) => [s.entry_id, [s.status, s.disputed]]))).toEqual({
      [ids.brave]: ['approved', false],
      [ids.army]: ['rejected', false],
    });
    const overdue = await request(stack.http).get('/api/v1/objections').query({ open: 'true' }).set(as('town_admin')).expect(200);
    expect(overdue.body).toEqual([]);
  });

  it('at the end of the window the worker finalizes: what stands is posted once, with a checkpoint', async () => {
    // The window is 7 days; move its end to now instead of waiting, then let reconcile find it.
    await stack.db.query(`UPDATE review_cycles SET window_ends_at = now() - interval '1 second' WHERE village_id = $1 AND period = $2`, [f.villageA, period]);
    // Nothing waits for the credit platform yet: reconcile starts no export.
    expect((await stack.api.get(ReconcileService).reconcile()).export).toBe(false);
    const cycle = await waitFor(
      async () => {
        const [c] = await stack.db.query(`SELECT state, checkpoint_hash FROM review_cycles WHERE village_id = $1 AND period = $2`, [f.villageA, period]);
        return c.state === 'finalized' ? c : undefined;
      },
      { timeoutMs: 20_000, description: 'the finalize job' },
    );
    expect(cycle.checkpoint_hash).toMatch(/^[0-9a-f]{64}$/);
    const postings = await stack.db.query(`SELECT source_ref, points, account_id FROM postings WHERE village_id = $1 AND kind = 'deed' ORDER BY source_ref`, [f.villageA]);
    expect(postings.map((p: { source_ref: string }) => p.source_ref).sort()).toEqual([ids.volunteer, ids.parking1, ids.parking2, ids.brave].map((i) => `entry:${i}`).sort());
    const [acc] = await stack.db.query(`SELECT balance, credit_score FROM accounts WHERE resident_id = $1`, [f.residentsA[1]]);
    expect(acc).toEqual({ balance: -10, credit_score: 990 });
    const [outbox] = await stack.db.query(`SELECT count(*)::int AS n FROM credit_outbox WHERE town_id = $1`, [f.townId]);
    expect(outbox.n).toBe(4);
    // Four rows wait for the platform (none is configured here): the next reconcile starts an export.
    expect((await stack.db.query(`SELECT count(*)::int AS n FROM credit_outbox WHERE town_id = $1 AND status = 'pending'`, [f.townId]))[0].n).toBe(4);
    expect((await stack.api.get(ReconcileService).reconcile()).export).toBe(true);

    expect(await stack.api.get(FinalizeService).finalize(cycle.id ?? (await stack.db.query(`SELECT id FROM review_cycles WHERE village_id = $1 AND period = $2`, [f.villageA, period]))[0].id)).toBe('already');
    const [{ n }] = await stack.db.query(`SELECT count(*)::int AS n FROM postings WHERE village_id = $1`, [f.villageA]);
    expect(n).toBe(4);
    const [board] = await stack.db.query(`SELECT content FROM boards WHERE village_id = $1 AND period = $2`, [f.villageA, period]);
    expect(board.content).toEqual(boardBefore);
  });

  it('objections after the window are refused; boards cannot be edited, even by SQL', async () => {
    const late = await request(stack.http).post(`/api/v1/public/boards/${f.villageA}/${period}/objections`).send({ entryId: ids.volunteer, name: 'a', contact: '123', reason: '太晚了' }).expect(409);
    expect(late.body.code).toBe('OBJECTION.WINDOW_CLOSED');
    await expect(stack.db.query(`UPDATE boards SET content = '{}' WHERE village_id = $1`, [f.villageA])).rejects.toMatchObject({ driverError: { code: '55A01' } });
  });
});
