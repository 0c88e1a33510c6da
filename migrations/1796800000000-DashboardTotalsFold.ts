import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dashboard totals keep a row per key and writer slot (DashboardTotalsSlots): a key has as
 * many rows as backends ever wrote it at once, 55 slots on the bench database after its runs with
 * second and third apis, where pid % 8 had at most 8. `dashboard_fold_totals()` folds the rows of
 * every slot no live backend holds into slot -1, which no writer ever takes, so a key is back to
 * one row plus one per live writer; readers sum all slots as before. It returns how many slots it
 * folded. The worker runs it hourly (job system.fold_totals).
 *
 * It never makes a writer wait: for each slot it first takes that slot's advisory lock itself
 * (pg_try_advisory_xact_lock on the writers' class; a slot a live backend holds is skipped), so
 * no backend can hold the slot while its rows move, and rows of slot -1 are written only here, one
 * fold at a time. Slots of 1000 and above (the shared fallback past 1,000 writers) are left alone.
 */
const SLOT_CLASS = 2020175481; // as DashboardTotalsSlots

export class DashboardTotalsFold1796800000000 implements MigrationInterface {
  name = 'DashboardTotalsFold1796800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION dashboard_fold_totals() RETURNS int LANGUAGE plpgsql AS $$
      DECLARE
        own int := NULLIF(current_setting('xinyi.totals_slot', true), '')::int;
        s int;
        folded int := 0;
      BEGIN
        PERFORM pg_advisory_xact_lock(${SLOT_CLASS}, -1);
        FOR s IN
          SELECT slot FROM dashboard_posting_totals WHERE slot BETWEEN 0 AND 999
          UNION SELECT slot FROM dashboard_entry_totals WHERE slot BETWEEN 0 AND 999
          UNION SELECT slot FROM dashboard_outbox_totals WHERE slot BETWEEN 0 AND 999
          UNION SELECT slot FROM dashboard_grade_totals WHERE slot BETWEEN 0 AND 999
          ORDER BY 1
        LOOP
          CONTINUE WHEN s = own OR NOT pg_try_advisory_xact_lock(${SLOT_CLASS}, s);

          WITH gone AS (DELETE FROM dashboard_posting_totals WHERE slot = s RETURNING *)
          INSERT INTO dashboard_posting_totals AS t (town_id, period, village_id, kind, counterparty, slot, postings, added, deducted)
          SELECT town_id, period, village_id, kind, counterparty, -1, sum(postings), sum(added), sum(deducted) FROM gone
           GROUP BY town_id, period, village_id, kind, counterparty ORDER BY town_id, period, village_id, kind, counterparty
          ON CONFLICT (town_id, period, village_id, kind, counterparty, slot) DO UPDATE
             SET postings = t.postings + EXCLUDED.postings, added = t.added + EXCLUDED.added, deducted = t.deducted + EXCLUDED.deducted;

          WITH gone AS (DELETE FROM dashboard_entry_totals WHERE slot = s RETURNING *)
          INSERT INTO dashboard_entry_totals AS t (town_id, period, village_id, item_code, slot, item_id, entries, late_entries, points)
          SELECT town_id, period, village_id, item_code, -1, min(item_id::text)::uuid, sum(entries), sum(late_entries), sum(points) FROM gone
           GROUP BY town_id, period, village_id, item_code ORDER BY town_id, period, village_id, item_code
          ON CONFLICT (town_id, period, village_id, item_code, slot) DO UPDATE
             SET item_id = CASE WHEN EXCLUDED.item_id::text < t.item_id::text THEN EXCLUDED.item_id ELSE t.item_id END,
                 entries = t.entries + EXCLUDED.entries, late_entries = t.late_entries + EXCLUDED.late_entries, points = t.points + EXCLUDED.points;

          WITH gone AS (DELETE FROM dashboard_outbox_totals WHERE slot = s RETURNING *)
          INSERT INTO dashboard_outbox_totals AS t (town_id, period, village_id, status, slot, n)
          SELECT town_id, period, village_id, status, -1, sum(gone.n) FROM gone
           GROUP BY town_id, period, village_id, status ORDER BY town_id, period, village_id, status
          ON CONFLICT (town_id, period, village_id, status, slot) DO UPDATE SET n = t.n + EXCLUDED.n;

          WITH gone AS (DELETE FROM dashboard_grade_totals WHERE slot = s RETURNING *)
          INSERT INTO dashboard_grade_totals AS t (town_id, grade, slot, residents)
          SELECT town_id, grade, -1, sum(residents) FROM gone GROUP BY town_id, grade ORDER BY town_id, grade
          ON CONFLICT (town_id, grade, slot) DO UPDATE SET residents = t.residents + EXCLUDED.residents;
          folded := folded + 1;
        END LOOP;
        RETURN folded;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION dashboard_fold_totals()`);
  }
}
