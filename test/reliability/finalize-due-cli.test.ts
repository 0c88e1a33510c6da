import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf, previousPeriod, shanghaiDate } from '@app/common/time';
import { ReconcileService } from '@app/review/reconcile.service';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { spawnBuilt, tail } from '../support/processes';

/**
 * Issue 12 §8: a test or training deployment runs a month to its end without SQL, through the
 * built CLI as a real process against the real database; production refuses.
 */
describe('cli.js finalize-due --as-of (test and training deployments only)', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let cycleId: string;
  const last = previousPeriod(periodOf(new Date()));
  const today = shanghaiDate(new Date());
  const DAY = 86_400_000;

  const cli = async (args: string[], env: Record<string, string> = {}) => {
    const p = spawnBuilt('database/cli', ['finalize-due', ...args], {
      DATABASE_URL: stack.env.DATABASE_URL,
      REDIS_URL: stack.env.REDIS_URL,
      QUEUE_PREFIX: stack.env.QUEUE_PREFIX,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      ...env,
    });
    const { code } = await p.exited;
    return { code, out: p.output() };
  };
  const state = async () =>
    (await stack.db.query(`SELECT state, window_ends_at AS "windowEndsAt" FROM review_cycles WHERE id = $1`, [cycleId]))[0] as { state: string; windowEndsAt: Date };
  const postings = async () => (await stack.db.query(`SELECT count(*)::int AS n FROM postings WHERE village_id = $1`, [f.villageA]))[0].n as number;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 3);
    t = await bearers(stack.http, f);
    // Last month of village A, entered, closed, reviewed and published: a 7-day objection window.
    for (const r of f.residentsA) {
      await request(stack.http).post(`/api/v1/villages/${f.villageA}/entries`).set('authorization', t.village_clerk).send({ residentId: r, itemCode: 'T10', occurredOn: `${last}-15` }).expect(201);
    }
    const cyc = (s = '') => `/api/v1/villages/${f.villageA}/cycles/${last}${s}`;
    await request(stack.http).post(cyc('/close')).set('authorization', t.town_admin).expect(200);
    const sheet = await request(stack.http).get(cyc()).set('authorization', t.village_reviewer).expect(200);
    await request(stack.http).post(cyc('/meeting')).set('authorization', t.village_reviewer).send({ heldOn: today, attendees: ['王书记'], minutes: '审议' }).expect(200);
    await request(stack.http)
      .post(cyc('/decisions'))
      .set('authorization', t.village_reviewer)
      .send({ decisions: sheet.body.entries.map((e: { id: string }) => ({ entryId: e.id, decision: 'approve' })) })
      .expect(200);
    cycleId = (await request(stack.http).post(cyc('/publish')).set('authorization', t.village_reviewer).expect(200)).body.id;
    // Village B left a cycle open two months back: its close is long due.
    await stack.db.query(`INSERT INTO review_cycles (town_id, village_id, period) VALUES ($1, $2, $3)`, [f.townId, f.villageB, previousPeriod(last)]);
  });
  afterAll(async () => stack?.close());

  it('is refused with NODE_ENV=production: non-zero exit, a clear message, nothing changed', async () => {
    const before = await state();
    const { code, out } = await cli(['--as-of', new Date(Date.now() + 30 * DAY).toISOString()], { NODE_ENV: 'production' });
    expect(code).not.toBe(0);
    expect(out).toMatch(/refused: NODE_ENV=production/);
    expect(out).toMatch(/never shortened/);
    expect(await state()).toEqual(before);
    expect(before.state).toBe('publicized');
    expect(await postings()).toBe(0);
  });

  it('the service refuses too when the process runs in production (a second lock on the same door)', async () => {
    const reconciling = stack.api.get(ReconcileService);
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await expect(reconciling.runDueAsOf(new Date(Date.now() + 30 * DAY))).rejects.toMatchObject({ code: 'CYCLE.AS_OF_REFUSED' });
    } finally {
      process.env.NODE_ENV = saved;
    }
    expect((await state()).state).toBe('publicized');
  });

  it('refuses a missing or ambiguous --as-of with its usage', async () => {
    for (const args of [[], ['--as-of'], ['--as-of', '2026-12-20'], ['--as-of', '2026-12-20T09:00:00'], ['--as-of', 'tomorrow']]) {
      const { code, out } = await cli(args);
      expect([code, /usage: finalize-due --as-of/.test(out)], `${args.join(' ')}\n${tail(out)}`).toEqual([1, true]);
    }
    expect((await state()).state).toBe('publicized');
  });

  it('as of a time inside the window it ends no window and posts nothing, but closes what is due', async () => {
    const { code, out } = await cli(['--as-of', new Date(Date.now() + DAY).toISOString()]);
    expect(code, tail(out)).toBe(0);
    expect(out).toMatch(/ended 0 objection windows early, finalized 0 cycles/);
    expect((await state()).state).toBe('publicized');
    expect(await postings()).toBe(0);
    const [old] = await stack.db.query(`SELECT state FROM review_cycles WHERE village_id = $1 AND period = $2`, [f.villageB, previousPeriod(last)]);
    expect(old.state).toBe('closed');
  });

  it('as of a time after the window it ends the window now, finalizes and posts; a second run changes nothing', async () => {
    const before = await state();
    const asOf = new Date(Date.now() + 8 * DAY);
    const first = await cli(['--as-of', asOf.toISOString().replace('Z', '+00:00')]);
    expect(first.code, tail(first.out)).toBe(0);
    expect(first.out).toMatch(/ended 1 objection windows early, finalized 1 cycles/);
    const after = await state();
    expect(after.state).toBe('finalized');
    expect(after.windowEndsAt.getTime()).toBeLessThan(before.windowEndsAt.getTime());
    expect(after.windowEndsAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await postings()).toBe(f.residentsA.length);
    const [event] = await stack.db.query(`SELECT from_state, to_state, actor_id, reason FROM cycle_events WHERE cycle_id = $1 AND from_state = to_state`, [cycleId]);
    expect(event).toMatchObject({ from_state: 'publicized', to_state: 'publicized', actor_id: null });
    expect(event.reason).toContain('finalize-due');
    const audit = await stack.db.query(`SELECT actor_type, summary FROM audit_log WHERE action = 'cycle.window_end_early' AND target_id = $1`, [cycleId]);
    expect(audit).toEqual([{ actor_type: 'system', summary: { asOf: asOf.toISOString(), windowEndsAtBefore: before.windowEndsAt.toISOString() } }]);
    // The public board shows the window as it now is: closed to objections.
    const board = await request(stack.http).get(`/api/v1/public/boards/${f.villageA}/${last}`).expect(200);
    expect(board.body).toMatchObject({ state: 'finalized', objectionOpen: false });

    const second = await cli(['--as-of', asOf.toISOString()]);
    expect(second.code, tail(second.out)).toBe(0);
    expect(second.out).toMatch(/ended 0 objection windows early, finalized 0 cycles, posted 0/);
    expect(await postings()).toBe(f.residentsA.length);
  });
});
