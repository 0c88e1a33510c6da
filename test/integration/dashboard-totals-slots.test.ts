import { Client } from 'pg';
import type { QueryRunner } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DashboardFoldService } from '@app/auditor/dashboard-fold.service';
import { DashboardRepository } from '@app/auditor/dashboard.repository';
import { LedgerService } from '@app/ledger/ledger.service';
import { DashboardTotalsSlots1796600000000 } from '../../migrations/1796600000000-DashboardTotalsSlots';
import { startStack, type TestStack } from '../support/app';
import { seedTown, type TownFixture } from '../support/fixtures';

/**
 * The dashboard totals' counter rows (migration DashboardTotalsSlots): each backend counts into a
 * slot of its own, held by a session advisory lock, so two transactions in flight never write the
 * same row and never wait for each other's commit. Before, the slot was pid % 8: two pooled
 * backends with equal pids mod 8 shared rows, and a redemption batch waiting on another's commit
 * was canceled by its lock timeout.
 */
const sorted = <T>(rows: T[]): T[] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('dashboard totals: a counter slot per backend', () => {
  let stack: TestStack;
  let f: TownFixture;
  let ledger: LedgerService;
  let n = 0;
  const open: QueryRunner[] = [];
  const clients: Client[] = [];

  async function connection(): Promise<{ qr: QueryRunner; pid: number }> {
    const qr = stack.db.createQueryRunner();
    await qr.connect();
    open.push(qr);
    const [{ pid }] = (await qr.query(`SELECT pg_backend_pid() AS pid`)) as Array<{ pid: number }>;
    return { qr, pid };
  }
  async function release(qr: QueryRunner): Promise<void> {
    if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
    await qr.release();
    open.splice(open.indexOf(qr), 1);
  }
  /** Two connections whose backend pids are equal mod 8 (so pid % 8 would give them one slot). */
  async function twoSharingPidMod8(): Promise<[QueryRunner, QueryRunner]> {
    const byMod = new Map<number, QueryRunner>();
    for (;;) {
      const c = await connection();
      const twin = byMod.get(c.pid % 8);
      if (twin) {
        for (const other of byMod.values()) if (other !== twin) await release(other);
        return [twin, c.qr];
      }
      byMod.set(c.pid % 8, c.qr);
    }
  }
  const slotOf = async (qr: QueryRunner) => Number((await qr.query(`SELECT dashboard_totals_slot() AS s`))[0].s);
  const sale = (accountId: string) => ({ accountId, kind: 'redemption' as const, points: -1, sourceRef: `slots:${++n}`, counterparty: `shop:${f.shopA}`, period: '2026-01', memo: '测试' });

  beforeAll(async () => {
    stack = await startStack({ env: { DATABASE_POOL_SIZE: '20' } });
    f = await seedTown(stack.db, 3);
    ledger = stack.api.get(LedgerService);
    for (const r of f.residentsA) await ledger.postBatch([{ accountId: r, kind: 'opening_balance', points: 100, sourceRef: `slots:fund:${r}`, counterparty: `town:${f.townId}`, period: '2026-01', memo: '测试' }]);
  });
  afterEach(async () => {
    for (const qr of [...open]) await release(qr);
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
  });
  afterAll(async () => stack?.close());

  it('two transactions of one totals key, on backends with equal pids mod 8, neither waits for the other', async () => {
    const [a, b] = await twoSharingPidMod8();
    await a.startTransaction();
    await ledger.postBatch([sale(f.residentsA[0])], a.manager);
    // The old slot rule would put b on a's counter row: it would wait for a's commit, and time out.
    await b.startTransaction();
    await b.query(`SET LOCAL lock_timeout = 500`);
    await ledger.postBatch([sale(f.residentsA[1])], b.manager);
    await b.commitTransaction();
    await a.commitTransaction();
    const rows = await stack.db.query(`SELECT slot, postings::int AS n FROM dashboard_posting_totals WHERE town_id = $1 AND kind = 'redemption' ORDER BY slot`, [f.townId]);
    expect(rows).toHaveLength(2);
    expect(rows.map((r: { n: number }) => r.n)).toEqual([1, 1]);
    // Readers sum the slots.
    const months = await stack.api.get(DashboardRepository).postingsByMonth(f.townId, ['2026-01']);
    expect(months.filter((m) => m.kind === 'redemption')).toEqual([{ period: '2026-01', villageId: f.villageA, kind: 'redemption', counterparty: `shop:${f.shopA}`, n: 2, added: 0, deducted: 2 }]);
  });

  it('a backend keeps its slot; live backends never share one; a slot taken in a rolled-back transaction is found again; a closed backend frees its slot', async () => {
    const cs = await Promise.all(Array.from({ length: 6 }, () => connection()));
    const slots = await Promise.all(cs.map((c) => slotOf(c.qr)));
    expect(new Set(slots).size).toBe(6);
    expect(await slotOf(cs[0].qr)).toBe(slots[0]);
    // A new backend (not pooled) whose first slot is taken inside a transaction that rolls back.
    const client = new Client({ connectionString: stack.env.DATABASE_URL });
    clients.push(client);
    await client.connect();
    const pid = Number((await client.query(`SELECT pg_backend_pid() AS pid`)).rows[0].pid);
    await client.query('BEGIN');
    const first = Number((await client.query(`SELECT dashboard_totals_slot() AS s`)).rows[0].s);
    await client.query('ROLLBACK');
    expect(Number((await client.query(`SELECT dashboard_totals_slot() AS s`)).rows[0].s)).toBe(first);
    const locks = async (where: string, param: number) =>
      Number((await stack.db.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 2020175481::oid AND ${where} = $1`, [param]))[0].n);
    expect(await locks('pid', pid)).toBe(1);
    expect(slots).not.toContain(first);
    // It goes: its slot's lock goes with it, for the next backend to take.
    await client.end();
    clients.splice(clients.indexOf(client), 1);
    await expect.poll(() => locks('objid::int', first)).toBe(0);
  });
  it('the migration rewrites the four counting functions, and its down puts pid % 8 back', async () => {
    const runner = stack.db.createQueryRunner();
    const defs = async () =>
      (await runner.query(`SELECT pg_get_functiondef(p.oid) AS def FROM pg_proc p WHERE proname = ANY('{dashboard_count_postings,dashboard_count_entries,dashboard_count_withdrawal,dashboard_count_outbox}') ORDER BY proname`)).map((r: { def: string }) => r.def) as string[];
    try {
      await runner.startTransaction();
      const now = await defs();
      expect(now).toHaveLength(4);
      for (const d of now) expect([d.includes('dashboard_totals_slot()'), d.includes('pg_backend_pid()')]).toEqual([true, false]);
      await new DashboardTotalsSlots1796600000000().down(runner);
      for (const d of await defs()) expect([d.includes('dashboard_totals_slot()'), d.includes('(pg_backend_pid() % 8)::smallint')]).toEqual([false, true]);
      await new DashboardTotalsSlots1796600000000().up(runner);
      expect(await defs()).toEqual(now);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });
  it('the fold moves the rows of slots no backend holds into slot -1: sums unchanged, live writers untouched and never waiting', async () => {
    const repo = stack.api.get(DashboardRepository);
    const recount = async () => sorted(await stack.db.query(`SELECT grade, count(*)::int AS residents FROM accounts WHERE town_id = $1 GROUP BY grade`, [f.townId]));
    const slotsOf = async () => (await stack.db.query(`SELECT DISTINCT slot FROM dashboard_grade_totals WHERE town_id = $1 ORDER BY slot`, [f.townId])).map((r: { slot: number }) => r.slot) as number[];
    const writer = async () => {
      const c = new Client({ connectionString: stack.env.DATABASE_URL });
      clients.push(c);
      await c.connect();
      return c;
    };
    /** A grade change by `c` (whoever writes, the trigger counts it in c's slot); returns c's slot. */
    const regrade = async (c: Client, residentId: string, grade: string) => {
      await c.query(`UPDATE accounts SET grade = $2 WHERE resident_id = $1`, [residentId, grade]);
      return Number((await c.query(`SELECT dashboard_totals_slot() AS s`)).rows[0].s);
    };
    const [r0, r1, r2] = f.residentsA;
    const [w0, w1, live] = [await writer(), await writer(), await writer()];
    const written = [await regrade(w0, r0, 'X1'), await regrade(w1, r1, 'X2'), await regrade(live, r2, 'X3')];
    expect(new Set(written).size).toBe(3);
    expect(sorted(await repo.gradeCounts(f.townId))).toEqual(await recount());
    for (const c of [w0, w1]) {
      await c.end();
      clients.splice(clients.indexOf(c), 1);
    }
    await expect.poll(async () => Number((await stack.db.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 2020175481::oid AND objid::int = ANY($1)`, [written.slice(0, 2)]))[0].n)).toBe(0);

    // The fold, left open: meanwhile the live writer and a new one write without waiting.
    const fold = await connection();
    await fold.qr.startTransaction();
    const folded = Number((await fold.qr.query(`SELECT dashboard_fold_totals() AS n`))[0].n);
    expect(folded).toBeGreaterThanOrEqual(2);
    await live.query(`SET lock_timeout = 300`);
    await regrade(live, r2, 'X4');
    const fresh = await writer();
    await fresh.query(`SET lock_timeout = 300`);
    const freshSlot = await regrade(fresh, r0, 'X5');
    expect(written.slice(0, 2)).not.toContain(freshSlot); // the fold holds those slots until it commits
    await fold.qr.commitTransaction();

    const after = await slotsOf();
    expect(after).toContain(-1);
    expect(after).toContain(written[2]);
    for (const gone of written.slice(0, 2)) expect(after).not.toContain(gone);
    expect(sorted(await repo.gradeCounts(f.townId))).toEqual(await recount());
    // The other totals read the same after it as before.
    const months = await repo.postingsByMonth(f.townId, ['2026-01']);
    const [{ n }] = await stack.db.query(`SELECT count(*)::int AS n FROM postings WHERE town_id = $1 AND kind = 'redemption' AND period = '2026-01'`, [f.townId]);
    expect(months.filter((m) => m.kind === 'redemption').reduce((x, m) => x + m.n, 0)).toBe(n);
    // Via the worker's job handler too (nothing left to fold but the slots freed since).
    expect(await stack.api.get(DashboardFoldService).fold()).toMatchObject({ folded: expect.any(Number) });
  });
});
