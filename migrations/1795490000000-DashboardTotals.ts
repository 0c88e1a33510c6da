import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Running totals for the town dashboard (GET /towns/current/dashboard), so that a request reads a
 * few hundred counter rows instead of aggregating six months of postings and a month of entries
 * (on the bench town: 227,500 postings and 104,500 entries per request, p95 ≈ 1 s).
 *
 * The totals are kept by triggers, in the transaction of the write they count, whoever writes
 * (the ledger, entry upload, seeds, generators): they are never a step behind and need no job,
 * and a rolled-back write rolls its count back with it.
 * - `postings` AFTER INSERT, per statement over its transition table: one upsert per (period,
 *   village, kind, counterparty) of the statement, for the kinds the charts show. Postings are
 *   append-only (refuse_change), so insert is the only change to count.
 * - `deed_entries` AFTER INSERT, per statement: entries, late ones, points per (period, village,
 *   item code). Entries are append-only too.
 * - `entry_states` AFTER UPDATE (and INSERT), per row, only when a row goes into or out of
 *   `withdrawn` (the WHEN clause is tested before any function call: the bulk updates of close,
 *   decisions and finalize queue nothing).
 * `slot` = the writer's backend pid mod 8: concurrent writers of one key mostly land on different
 * rows and do not wait for each other's commit; readers sum the slots. Rows are upserted in key
 * order so that two statements never take counter rows in opposite orders.
 *
 * Existing rows are counted once here, with postings and deed entries locked against inserts
 * (SHARE) for the length of this transaction, so nothing is counted twice or missed.
 * Both tables carry town_id first in their primary key (sharding by town).
 */
export class DashboardTotals1795490000000 implements MigrationInterface {
  name = 'DashboardTotals1795490000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "dashboard_posting_totals" ("town_id" uuid NOT NULL, "period" text NOT NULL, "village_id" uuid NOT NULL, "kind" text NOT NULL, "counterparty" text NOT NULL, "slot" smallint NOT NULL, "postings" bigint NOT NULL, "added" bigint NOT NULL, "deducted" bigint NOT NULL, CONSTRAINT "pk_dashboard_posting_totals" PRIMARY KEY ("town_id", "period", "village_id", "kind", "counterparty", "slot"))`,
    );
    await q.query(
      `CREATE TABLE "dashboard_entry_totals" ("town_id" uuid NOT NULL, "period" text NOT NULL, "village_id" uuid NOT NULL, "item_code" text NOT NULL, "slot" smallint NOT NULL, "item_id" uuid NOT NULL, "entries" bigint NOT NULL, "late_entries" bigint NOT NULL, "points" bigint NOT NULL, CONSTRAINT "pk_dashboard_entry_totals" PRIMARY KEY ("town_id", "period", "village_id", "item_code", "slot"))`,
    );

    await q.query(`
      CREATE FUNCTION dashboard_count_postings() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO dashboard_posting_totals AS t (town_id, period, village_id, kind, counterparty, slot, postings, added, deducted)
        SELECT town_id, period, village_id, kind, counterparty, (pg_backend_pid() % 8)::smallint, count(*),
               COALESCE(sum(points) FILTER (WHERE points > 0), 0), COALESCE(-sum(points) FILTER (WHERE points < 0), 0)
          FROM new_postings
         WHERE kind IN ('deed', 'redemption', 'redemption_void')
         GROUP BY town_id, period, village_id, kind, counterparty
         ORDER BY town_id, period, village_id, kind, counterparty
        ON CONFLICT (town_id, period, village_id, kind, counterparty, slot) DO UPDATE
           SET postings = t.postings + EXCLUDED.postings, added = t.added + EXCLUDED.added, deducted = t.deducted + EXCLUDED.deducted;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER postings_dashboard_totals AFTER INSERT ON postings REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION dashboard_count_postings()`,
    );

    await q.query(`
      CREATE FUNCTION dashboard_count_entries() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO dashboard_entry_totals AS t (town_id, period, village_id, item_code, slot, item_id, entries, late_entries, points)
        SELECT town_id, period, village_id, item_code, (pg_backend_pid() % 8)::smallint, min(item_id::text)::uuid, count(*),
               count(*) FILTER (WHERE period <> to_char(occurred_on, 'YYYY-MM')), COALESCE(sum(points), 0)
          FROM new_entries
         GROUP BY town_id, period, village_id, item_code
         ORDER BY town_id, period, village_id, item_code
        ON CONFLICT (town_id, period, village_id, item_code, slot) DO UPDATE
           SET item_id = CASE WHEN EXCLUDED.item_id::text < t.item_id::text THEN EXCLUDED.item_id ELSE t.item_id END,
               entries = t.entries + EXCLUDED.entries, late_entries = t.late_entries + EXCLUDED.late_entries, points = t.points + EXCLUDED.points;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER deed_entries_dashboard_totals AFTER INSERT ON deed_entries REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION dashboard_count_entries()`,
    );

    // A withdrawn entry leaves the counts (one coming back from withdrawn would rejoin them; a state
    // row written as withdrawn from the start, which the code never does, is taken off too).
    await q.query(`
      CREATE FUNCTION dashboard_count_withdrawal() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE d int := CASE WHEN NEW.status = 'withdrawn' THEN -1 ELSE 1 END;
      BEGIN
        INSERT INTO dashboard_entry_totals AS t (town_id, period, village_id, item_code, slot, item_id, entries, late_entries, points)
        SELECT e.town_id, e.period, e.village_id, e.item_code, (pg_backend_pid() % 8)::smallint, e.item_id, d,
               CASE WHEN e.period <> to_char(e.occurred_on, 'YYYY-MM') THEN d ELSE 0 END, d * e.points
          FROM deed_entries e WHERE e.id = NEW.entry_id
        ON CONFLICT (town_id, period, village_id, item_code, slot) DO UPDATE
           SET entries = t.entries + EXCLUDED.entries, late_entries = t.late_entries + EXCLUDED.late_entries, points = t.points + EXCLUDED.points;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER entry_states_dashboard_totals AFTER UPDATE OF status ON entry_states FOR EACH ROW
         WHEN ((OLD.status = 'withdrawn') IS DISTINCT FROM (NEW.status = 'withdrawn')) EXECUTE FUNCTION dashboard_count_withdrawal()`,
    );
    await q.query(
      `CREATE TRIGGER entry_states_dashboard_totals_insert AFTER INSERT ON entry_states FOR EACH ROW
         WHEN (NEW.status = 'withdrawn') EXECUTE FUNCTION dashboard_count_withdrawal()`,
    );

    // What is there already, counted once (no insert can slip in between: SHARE blocks them).
    await q.query(`LOCK TABLE postings, deed_entries, entry_states IN SHARE MODE`);
    await q.query(
      `INSERT INTO dashboard_posting_totals (town_id, period, village_id, kind, counterparty, slot, postings, added, deducted)
       SELECT town_id, period, village_id, kind, counterparty, 0, count(*),
              COALESCE(sum(points) FILTER (WHERE points > 0), 0), COALESCE(-sum(points) FILTER (WHERE points < 0), 0)
         FROM postings WHERE kind IN ('deed', 'redemption', 'redemption_void')
        GROUP BY town_id, period, village_id, kind, counterparty`,
    );
    await q.query(
      `INSERT INTO dashboard_entry_totals (town_id, period, village_id, item_code, slot, item_id, entries, late_entries, points)
       SELECT e.town_id, e.period, e.village_id, e.item_code, 0, min(e.item_id::text)::uuid,
              count(*) FILTER (WHERE s.status IS DISTINCT FROM 'withdrawn'),
              count(*) FILTER (WHERE s.status IS DISTINCT FROM 'withdrawn' AND e.period <> to_char(e.occurred_on, 'YYYY-MM')),
              COALESCE(sum(e.points) FILTER (WHERE s.status IS DISTINCT FROM 'withdrawn'), 0)
         FROM deed_entries e LEFT JOIN entry_states s ON s.entry_id = e.id
        GROUP BY e.town_id, e.period, e.village_id, e.item_code`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER entry_states_dashboard_totals_insert ON entry_states`);
    await q.query(`DROP TRIGGER entry_states_dashboard_totals ON entry_states`);
    await q.query(`DROP TRIGGER deed_entries_dashboard_totals ON deed_entries`);
    await q.query(`DROP TRIGGER postings_dashboard_totals ON postings`);
    await q.query(`DROP FUNCTION dashboard_count_withdrawal()`);
    await q.query(`DROP FUNCTION dashboard_count_entries()`);
    await q.query(`DROP FUNCTION dashboard_count_postings()`);
    await q.query(`DROP TABLE "dashboard_entry_totals"`);
    await q.query(`DROP TABLE "dashboard_posting_totals"`);
  }
}
