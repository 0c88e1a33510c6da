import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FinalizeService } from '@app/review/finalize.service';
import { ReconcileService } from '@app/review/reconcile.service';
import { startStack, type TestStack } from '../support/app';
import { seedPublishedCycle } from '../support/bulk';
import { seedTown, type TownFixture } from '../support/fixtures';
import { waitFor } from '../support/wait-for';

/** The entry_states side of finalize: one statement takes and marks, the marks are HOT, reconcile still finds late-dismissed entries. */
describe('finalize and entry_states', () => {
  let stack: TestStack;
  let f: TownFixture;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 1);
  });
  afterAll(async () => stack?.close());

  const hotUpdates = async () =>
    Number((await stack.db.query(`SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE relname = 'entry_states'`))[0].hot);

  it('marks a village of entries never analyzed posted in one linear pass, each mark a HOT update', async () => {
    const { cycleId, entries } = await seedPublishedCycle(stack.db, f.townId, f.villageA, '2026-01', 1000, 5);
    // As right after an upload: the planner has no statistics for these rows (the plan that
    // went quadratic on them took minutes for 10,000 entries).
    const [{ reltuples }] = await stack.db.query(`SELECT reltuples FROM pg_class WHERE relname = 'entry_states'`);
    expect(reltuples).toBeLessThan(entries);
    const before = await hotUpdates();
    const t0 = Date.now();
    expect(await stack.api.get(FinalizeService).finalize(cycleId)).toBe('finalized');
    expect(Date.now() - t0).toBeLessThan(30_000);
    const [{ posted, postings }] = await stack.db.query(
      `SELECT (SELECT count(*)::int FROM entry_states WHERE village_id = $1 AND status = 'posted') AS posted,
              (SELECT count(*)::int FROM postings WHERE village_id = $1 AND kind = 'deed') AS postings`,
      [f.villageA],
    );
    expect({ posted, postings }).toEqual({ posted: entries, postings: entries });
    // No index holds a column the mark changes and the pages have room (fillfactor 50): every
    // one of the 5,000 updates stays on its page without new index entries.
    await waitFor(async () => (await hotUpdates()) - before >= entries, { timeoutMs: 10_000, description: 'the worker backend to report its HOT updates' });
  });

  it('reconcile posts an entry whose objection was dismissed after its cycle finalized', async () => {
    const { cycleId, entries } = await seedPublishedCycle(stack.db, f.townId, f.villageB, '2026-02', 20, 1);
    const [entry] = await stack.db.query(`SELECT entry_id AS id FROM entry_states WHERE village_id = $1 AND period = '2026-02' ORDER BY entry_id LIMIT 1`, [f.villageB]);
    await stack.db.query(`UPDATE entry_states SET disputed = true WHERE entry_id = $1`, [entry.id]);
    const [objection] = await stack.db.query(
      `INSERT INTO objections (town_id, village_id, cycle_id, entry_id, objector_name, contact, reason, due_at, number)
       VALUES ($1, $2, $3, $4, '张三', '', '不属实', now() + interval '7 days', 990001) RETURNING id`,
      [f.townId, f.villageB, cycleId, entry.id],
    );
    expect(await stack.api.get(FinalizeService).finalize(cycleId)).toBe('finalized');
    const deeds = async () => (await stack.db.query(`SELECT count(*)::int AS n FROM postings WHERE village_id = $1 AND kind = 'deed'`, [f.villageB]))[0].n as number;
    expect(await deeds()).toBe(entries - 1);
    // Dismissed, undisputed, not yet posted: what reconcile is the backstop for.
    await stack.db.query(`UPDATE objections SET outcome = 'dismissed', answer = '经核实属实', answered_at = now() WHERE id = $1`, [objection.id]);
    await stack.db.query(`UPDATE entry_states SET disputed = false WHERE entry_id = $1`, [entry.id]);
    expect((await stack.api.get(ReconcileService).reconcile()).posted).toBe(1);
    expect(await deeds()).toBe(entries);
    const [{ status }] = await stack.db.query(`SELECT status FROM entry_states WHERE entry_id = $1`, [entry.id]);
    expect(status).toBe('posted');
    expect((await stack.api.get(ReconcileService).reconcile()).posted).toBe(0);
  });
});
