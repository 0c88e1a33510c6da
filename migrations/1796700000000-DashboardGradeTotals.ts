import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19, the dashboard at 16 connections: its grade panel counted the town's accounts by
 * grade on every request, a scan of every account row (51,500 rows on 4,415 pages at the
 * accounts' fillfactor of 50: ≈ 18 ms, most of a dashboard's ≈ 16 ms of PostgreSQL time summed
 * over its seven reads). It now reads running counts kept like the other dashboard totals
 * (DashboardTotals): in the transaction of the write they count, whoever writes, in the writer's
 * own slot (dashboard_totals_slot(), DashboardTotalsSlots).
 *
 * - INSERT, per statement over its transition table: the new accounts per (town, grade).
 * - UPDATE, per row, only when the grade changes: the WHEN clause is tested before any function
 *   call, so the account head updates of redemptions and postings that keep the grade (nearly
 *   all of them) queue nothing; a month end pays one small upsert per resident whose grade moves.
 * - DELETE (nothing deletes accounts), per statement: taken off.
 *
 * Existing accounts are counted once here, into slot 0, with accounts locked against writes
 * (SHARE) for the length of this transaction. town_id leads the primary key (sharding by town).
 */
export class DashboardGradeTotals1796700000000 implements MigrationInterface {
  name = 'DashboardGradeTotals1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "dashboard_grade_totals" ("town_id" uuid NOT NULL, "grade" text NOT NULL, "slot" smallint NOT NULL, "residents" bigint NOT NULL, CONSTRAINT "pk_dashboard_grade_totals" PRIMARY KEY ("town_id", "grade", "slot"))`,
    );
    await q.query(`
      CREATE FUNCTION dashboard_count_grades() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO dashboard_grade_totals AS t (town_id, grade, slot, residents)
          SELECT town_id, grade, dashboard_totals_slot(), count(*) FROM new_accounts GROUP BY town_id, grade ORDER BY town_id, grade
          ON CONFLICT (town_id, grade, slot) DO UPDATE SET residents = t.residents + EXCLUDED.residents;
        ELSIF TG_OP = 'DELETE' THEN
          INSERT INTO dashboard_grade_totals AS t (town_id, grade, slot, residents)
          SELECT town_id, grade, dashboard_totals_slot(), -count(*) FROM old_accounts GROUP BY town_id, grade ORDER BY town_id, grade
          ON CONFLICT (town_id, grade, slot) DO UPDATE SET residents = t.residents + EXCLUDED.residents;
        ELSE
          INSERT INTO dashboard_grade_totals AS t (town_id, grade, slot, residents)
          SELECT x.town_id, x.grade, dashboard_totals_slot(), x.d
            FROM (VALUES (OLD.town_id, OLD.grade, -1), (NEW.town_id, NEW.grade, 1)) AS x(town_id, grade, d)
           ORDER BY x.town_id, x.grade
          ON CONFLICT (town_id, grade, slot) DO UPDATE SET residents = t.residents + EXCLUDED.residents;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER accounts_grade_totals_insert AFTER INSERT ON accounts REFERENCING NEW TABLE AS new_accounts FOR EACH STATEMENT EXECUTE FUNCTION dashboard_count_grades()`);
    await q.query(`CREATE TRIGGER accounts_grade_totals_delete AFTER DELETE ON accounts REFERENCING OLD TABLE AS old_accounts FOR EACH STATEMENT EXECUTE FUNCTION dashboard_count_grades()`);
    await q.query(
      `CREATE TRIGGER accounts_grade_totals_update AFTER UPDATE OF grade ON accounts FOR EACH ROW WHEN (OLD.grade IS DISTINCT FROM NEW.grade) EXECUTE FUNCTION dashboard_count_grades()`,
    );

    await q.query(`LOCK TABLE accounts IN SHARE MODE`);
    await q.query(`INSERT INTO dashboard_grade_totals (town_id, grade, slot, residents) SELECT town_id, grade, 0, count(*) FROM accounts GROUP BY town_id, grade`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER accounts_grade_totals_update ON accounts`);
    await q.query(`DROP TRIGGER accounts_grade_totals_delete ON accounts`);
    await q.query(`DROP TRIGGER accounts_grade_totals_insert ON accounts`);
    await q.query(`DROP FUNCTION dashboard_count_grades()`);
    await q.query(`DROP TABLE "dashboard_grade_totals"`);
  }
}
