import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf, previousPeriod, shanghaiDate } from '@app/common/time';
import { JobQueue } from '@app/queue/job-queue.service';
import { JobSchedulers } from '@app/queue/job-schedulers.service';
import { CycleCloseService } from '@app/review/cycle-close.service';
import { ReconcileService } from '@app/review/reconcile.service';
import { scheduledCloseAt } from '@app/review/schedule';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { waitFor } from '../support/wait-for';

/**
 * A deed belongs to the month it happened in (issue 12 §1): villages type up last month's paper
 * records in the first days of this month, while last month's cycle is still open; once it is
 * closed, a deed of that month goes to the open cycle, marked late (补录).
 */
describe('deed periods: the month of the deed, late (补录) once that month is closed', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  const current = periodOf(new Date());
  const last = previousPeriod(current);
  const today = shanghaiDate(new Date());
  const lastMonthDay = (day: number) => `${last}-${String(day).padStart(2, '0')}`;
  const entries = (village: string) => `/api/v1/villages/${village}/entries`;
  const enter = (body: Record<string, unknown>, who: FixtureUser = 'village_clerk', village?: string) =>
    request(stack.http).post(entries(village ?? f.villageA)).set('authorization', t[who]).send(body);
  const cycle = async (village: string, period: string) =>
    (await stack.db.query(`SELECT id, state, closed_at AS "closedAt" FROM review_cycles WHERE village_id = $1 AND period = $2`, [village, period]))[0] as { id: string; state: string } | undefined;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 12);
    t = await bearers(stack.http, f);
  });
  afterAll(async () => stack?.close());

  it('files a deed of last month in last month while its cycle is open; the list says which period, and both open', async () => {
    const a = await enter({ residentId: f.residentsA[0], itemCode: 'B02', occurredOn: lastMonthDay(20) }).expect(201);
    expect(a.body).toMatchObject({ period: last, occurredOn: lastMonthDay(20), late: false });
    const b = await enter({ residentId: f.residentsA[0], itemCode: 'B02', occurredOn: today }).expect(201);
    expect(b.body).toMatchObject({ period: current, late: false });

    const listLast = await request(stack.http).get(entries(f.villageA)).query({ period: last }).set('authorization', t.village_reviewer).expect(200);
    expect(listLast.body.period).toBe(last);
    expect(listLast.body.openPeriods).toEqual([last, current]);
    expect(listLast.body.items.map((e: { id: string }) => e.id)).toEqual([a.body.id]);
    const listDefault = await request(stack.http).get(entries(f.villageA)).set('authorization', t.village_reviewer).expect(200);
    expect(listDefault.body.period).toBe(current);
    expect(listDefault.body.items.map((e: { id: string }) => e.id)).toEqual([b.body.id]);
  });

  it('an upload of both months files each row in its own month and says so per period', async () => {
    const people: Array<{ cardCode: string; name: string }> = await stack.db.query(`SELECT card_code AS "cardCode", name FROM residents WHERE id = ANY($1::uuid[]) ORDER BY name`, [
      f.residentsA.slice(1, 3),
    ]);
    const [p, q] = people;
    const csv = ['卡号,姓名,事项编码,发生日期', `${p.cardCode},${p.name},T10,${lastMonthDay(3)}`, `${q.cardCode},${q.name},T10,${lastMonthDay(28)}`, `${q.cardCode},${q.name},B02,${today}`].join('\r\n');
    const res = await request(stack.http).post(`${entries(f.villageA)}/upload`).set('authorization', t.village_clerk).attach('file', Buffer.from(csv + '\r\n'), 'paper-records.csv').expect(201);
    expect(res.body).toMatchObject({ created: 3, period: last, periods: [{ period: last, created: 2, late: 0 }, { period: current, created: 1, late: 0 }] });
    const stored = await stack.db.query(`SELECT period, to_char(occurred_on, 'YYYY-MM-DD') AS d FROM deed_entries WHERE batch_id = $1 ORDER BY occurred_on`, [res.body.batchId]);
    expect(stored.map((r: { period: string }) => r.period)).toEqual([last, last, current]);
  });

  it('once last month is closed, its deeds go to this month marked late: on the entry, the sheet and the board', async () => {
    await request(stack.http).post(`/api/v1/villages/${f.villageA}/cycles/${last}/close`).set('authorization', t.town_admin).expect(200);
    const lateEntry = await enter({ residentId: f.residentsA[3], itemCode: 'T10', occurredOn: lastMonthDay(15), evidenceNote: '纸质记录补录' }).expect(201);
    expect(lateEntry.body).toMatchObject({ period: current, occurredOn: lastMonthDay(15), late: true });
    expect((await request(stack.http).get(`/api/v1/entries/${lateEntry.body.id}`).set('authorization', t.auditor).expect(200)).body.late).toBe(true);
    const listed = await request(stack.http).get(entries(f.villageA)).set('authorization', t.village_reviewer).expect(200);
    expect(listed.body.openPeriods).toEqual([current]);
    expect(listed.body.items.find((e: { id: string }) => e.id === lateEntry.body.id)).toMatchObject({ late: true, period: current });

    // This month through to publish: the sheet and the board keep the late mark and the deed date.
    const cyc = (s = '') => `/api/v1/villages/${f.villageA}/cycles/${current}${s}`;
    await request(stack.http).post(cyc('/close')).set('authorization', t.town_admin).expect(200);
    const sheet = await request(stack.http).get(cyc()).set('authorization', t.village_reviewer).expect(200);
    expect(sheet.body.period).toBe(current);
    const lines = sheet.body.entries as Array<{ id: string; late: boolean; occurredOn: string }>;
    expect(lines.find((e) => e.id === lateEntry.body.id)).toMatchObject({ late: true, occurredOn: lastMonthDay(15) });
    expect(lines.filter((e) => e.late).map((e) => e.id)).toEqual([lateEntry.body.id]);
    await request(stack.http).post(cyc('/meeting')).set('authorization', t.village_reviewer).send({ heldOn: today, attendees: ['王书记'], minutes: '审议' }).expect(200);
    await request(stack.http)
      .post(cyc('/decisions'))
      .set('authorization', t.village_reviewer)
      .send({ decisions: lines.map((e) => ({ entryId: e.id, decision: 'approve' })) })
      .expect(200);
    await request(stack.http).post(cyc('/publish')).set('authorization', t.village_reviewer).expect(200);
    const [stored] = await stack.db.query(`SELECT content FROM boards WHERE village_id = $1 AND period = $2`, [f.villageA, current]);
    const boardLines = stored.content.residents.flatMap((r: { lines: unknown[] }) => r.lines) as Array<{ entryId: string; late: boolean }>;
    expect(boardLines.find((l) => l.entryId === lateEntry.body.id)).toMatchObject({ late: true, occurredOn: lastMonthDay(15) });
    expect(boardLines.filter((l) => l.late)).toHaveLength(1);
    const board = await request(stack.http).get(`/api/v1/public/boards/${f.villageA}/${current}`).expect(200);
    const publicLine = board.body.residents.flatMap((r: { lines: unknown[] }) => r.lines).find((l: { entryId: string }) => l.entryId === lateEntry.body.id);
    expect(publicLine).toMatchObject({ late: true, occurredOn: lastMonthDay(15) });
    const html = await request(stack.http).get(`/api/v1/public/boards/${f.villageA}/${current}.html`).expect(200);
    expect(html.text).toContain(`补录（发生于 ${lastMonthDay(15)}）`);
  });

  it('closeDay is a validated town setting (1–28, default 5)', async () => {
    const settings = '/api/v1/towns/current/settings';
    expect((await request(stack.http).get('/api/v1/towns/current').set('authorization', t.town_admin).expect(200)).body.closeDay).toBe(5);
    for (const bad of [0, 29, 5.5, '10']) {
      const res = await request(stack.http).patch(settings).set('authorization', t.town_admin).send({ closeDay: bad }).expect(400);
      expect(res.body.code).toBe('VALIDATION.FAILED');
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['closeDay']);
    }
    await expect(stack.db.query(`UPDATE towns SET close_day = 31 WHERE id = $1`, [f.townId])).rejects.toMatchObject({ driverError: { code: '23514' } });
    const ok = await request(stack.http).patch(settings).set('authorization', t.town_admin).send({ closeDay: 10 }).expect(200);
    expect(ok.body.closeDay).toBe(10);
    const [audit] = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'town.settings.update' ORDER BY at DESC LIMIT 1`);
    expect(audit.summary).toMatchObject({ before: { closeDay: 5 }, after: { closeDay: 10 } });
    expect((await request(stack.http).patch(settings).set('authorization', t.village_clerk).send({ closeDay: 3 }).expect(403)).body.code).toBe('AUTH.FORBIDDEN');

    // The timeliness view and the town overview follow it: close by the end of the 10th, publish by the end of the 15th.
    const [y, m] = current.split('-').map(Number);
    const closeBy = new Date(Date.UTC(y, m, 11) - 8 * 3600_000).toISOString();
    const publishBy = new Date(Date.UTC(y, m, 16) - 8 * 3600_000).toISOString();
    const timeliness = await request(stack.http).get('/api/v1/audit/timeliness').query({ period: current }).set('authorization', t.auditor).expect(200);
    expect([timeliness.body.closeBy, timeliness.body.publishBy]).toEqual([closeBy, publishBy]);
    const overview = await request(stack.http).get('/api/v1/towns/current/boards-overview').query({ period: current }).set('authorization', t.town_admin).expect(200);
    expect([overview.body.closeBy, overview.body.publishBy]).toEqual([closeBy, publishBy]);
    const other = await request(stack.http).get('/api/v1/audit/timeliness').query({ period: current }).set('authorization', t.other_town_admin).expect(200);
    expect(other.body.closeBy).toBe(new Date(Date.UTC(y, m, 6) - 8 * 3600_000).toISOString());
  });

  it('the worker replaces the old monthly close scheduler with the daily one', async () => {
    const schedulers = stack.api.get(JobSchedulers);
    const queue = stack.api.get(JobQueue).queue('cycle');
    await queue.upsertJobScheduler('cycle-close-monthly', { pattern: '10 0 1 * *', tz: 'Asia/Shanghai' }, { name: 'cycle.close_due', data: {} });
    try {
      expect(await schedulers.ensure()).toContain('cycle-close-daily');
      expect(await queue.getJobScheduler('cycle-close-monthly')).toBeFalsy();
      expect(await queue.getJobScheduler('cycle-close-daily')).toMatchObject({ pattern: '10 0 * * *', tz: 'Asia/Shanghai' });
    } finally {
      for (const q of stack.api.get(JobQueue).allQueues()) {
        for (const s of await q.getJobSchedulers()) await q.removeJobScheduler(s.key);
        await q.obliterate({ force: true });
      }
    }
  });

  it('the close is due on each town’s own close day at 00:10 Shanghai; the daily tick and reconcile enqueue the same', async () => {
    const closing = stack.api.get(CycleCloseService);
    // This town now closes on the 10th, the other town on the default 5th. Days of the month
    // after `current`, so `current` is "last month" for those instants.
    const at = (day: number, hh: number, mm: number) => new Date(Date.UTC(Number(current.slice(0, 4)), Number(current.slice(5, 7)), day, hh, mm) - 8 * 3600_000);
    const duePeriods = async (now: Date) => (await closing.dueCloses(now)).filter((d) => d.period === current).map((d) => d.villageId);
    expect(await duePeriods(at(5, 0, 9))).toEqual([]);
    expect(await duePeriods(at(5, 0, 10))).toEqual([f.villageOther]);
    expect((await duePeriods(at(10, 0, 9))).sort()).toEqual([f.villageOther]);
    // Village A's `current` was closed (and published) above: only B is left to close in this town.
    expect((await duePeriods(at(10, 0, 10))).sort()).toEqual([f.villageB, f.villageOther].sort());
    expect(at(10, 0, 10).getTime()).toBe(scheduledCloseAt(current, 10).getTime());

    // Real time: an open cycle two months back is always due, one an admin reopened never is.
    const old = previousPeriod(last);
    await stack.db.query(`INSERT INTO review_cycles (town_id, village_id, period) VALUES ($1, $2, $3)`, [f.townId, f.villageB, old]);
    await stack.db.query(`INSERT INTO review_cycles (town_id, village_id, period, closed_at) VALUES ($1, $2, $3, now())`, [f.otherTownId, f.villageOther, old]);
    const now = await closing.dueCloses(new Date());
    expect(now).toContainEqual({ villageId: f.villageB, period: old });
    expect(now).not.toContainEqual({ villageId: f.villageOther, period: old });
    const ticked = await closing.handleCloseDue();
    expect((await stack.api.get(ReconcileService).reconcile()).close).toBe(ticked);
    expect(ticked).toBe(now.length);
    const job = await stack.api.get(JobQueue).queue('cycle').getJob(`close-${f.villageB}-${old}`);
    expect(job?.data).toEqual({ villageId: f.villageB, period: old });
  });

  describe('the cycle lock: a close never races an entry into its month', () => {
    // Village B, last month: its cycle is made open here (the other tests leave it alone).
    const clerkB = (body: Record<string, unknown>) => enter(body, 'clerk_b', f.villageB);

    it('entries that wait on a close in progress see it closed and go to this month, late', async () => {
      await enter({ residentId: f.residentsB[0], itemCode: 'T10', occurredOn: lastMonthDay(2) }, 'clerk_b', f.villageB).expect(201);
      const c = await cycle(f.villageB, last);
      expect(c?.state).toBe('open');
      // A close in progress holds the cycle row exclusively (as CycleCloseService.close does) ...
      const closer = stack.db.createQueryRunner();
      await closer.connect();
      await closer.startTransaction();
      await closer.query(`SELECT state FROM review_cycles WHERE id = $1 FOR UPDATE`, [c?.id]);
      const posts = f.residentsB.slice(1, 6).map((r) => clerkB({ residentId: r, itemCode: 'B02', occurredOn: lastMonthDay(9) }).then((res) => res));
      try {
        // ... the entries queue on its lock (FOR SHARE), not on anything else ...
        await waitFor(
          async () => {
            const [{ n }] = await stack.db.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%FOR SHARE%'`,
            );
            return n === 5;
          },
          { description: 'five entry transactions waiting on the cycle lock' },
        );
        // ... and it closes the cycle and commits.
        await closer.query(`UPDATE review_cycles SET state = 'closed', closed_at = now() WHERE id = $1`, [c?.id]);
        await closer.commitTransaction();
      } finally {
        if (closer.isTransactionActive) await closer.rollbackTransaction();
        await closer.release();
      }
      const results = await Promise.all(posts);
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      expect(results.map((r) => [r.body.period, r.body.late])).toEqual(Array(5).fill([current, true]));
      const [{ n }] = await stack.db.query(`SELECT count(*)::int AS n FROM deed_entries WHERE village_id = $1 AND period = $2`, [f.villageB, last]);
      expect(n).toBe(1);
    });

    it('entries and a real close racing: every entry of the closed month was assessed by the close, the rest are late', async () => {
      const c = await cycle(f.villageB, last);
      await request(stack.http).post(`/api/v1/villages/${f.villageB}/cycles/${last}/reopen`).set('authorization', t.town_admin).send({ reason: '补录' }).expect(200);
      const closing = stack.api.get(CycleCloseService);
      const residents = f.residentsB;
      // More entries in flight than the api has database connections (DATABASE_POOL_SIZE 10 in tests).
      const posts = Array.from({ length: 16 }, (_, i) => clerkB({ residentId: residents[i % residents.length], itemCode: 'T10', occurredOn: lastMonthDay(10 + (i % 10)) }));
      const [closed, ...results] = await Promise.all([new Promise((r) => setTimeout(r, 40)).then(() => closing.close(f.townId, f.villageB, last, f.users.town_admin.id)), ...posts]);
      expect(closed).toBe('closed');
      expect(results.map((r) => (r.status === 201 ? 201 : `${r.status} ${r.body.code}`))).toEqual(Array(16).fill(201));
      // Assessed at close = has final points; an entry that slipped in after the assessment would not.
      const inLast = await stack.db.query(
        `SELECT e.id, s.final_points AS "finalPoints" FROM deed_entries e JOIN entry_states s ON s.entry_id = e.id WHERE e.village_id = $1 AND e.period = $2`,
        [f.villageB, last],
      );
      expect(inLast.filter((e: { finalPoints: number | null }) => e.finalPoints === null)).toEqual([]);
      const lateOnes = results.filter((r) => r.body.period === current);
      expect(lateOnes.every((r) => r.body.late === true)).toBe(true);
      expect(results.filter((r) => r.body.period === last).length + lateOnes.length).toBe(16);
      expect((await cycle(f.villageB, last))?.state).toBe('closed');
      void c;
    });
  });
});
