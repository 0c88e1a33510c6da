import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19, the dashboard after a month end (README "Open performance findings" 5): the export
 * backlog panel counted every unsent outbox row of the town on every request (an index-only scan
 * of 100,000 rows, ≈ 37 ms of the ≈ 61 PostgreSQL ms of a dashboard after the bench's finalize).
 * It now reads running counts, kept like the entry and posting totals (DashboardTotals): by
 * statement-level triggers over the statement's transition tables, in the transaction of the
 * write they count, whoever writes, with `slot` = the writer's backend pid mod 8 and rows upserted
 * in key order (concurrent writers of one key mostly take different rows, never in opposite
 * orders).
 *
 * `dashboard_outbox_totals` counts rows per (town, period, village, status) for the statuses not
 * yet sent (pending, failed). INSERT adds the new rows; UPDATE (sent, a failed attempt, requeue)
 * takes the old rows off and adds the new ones, per key, only where the two differ (a failed
 * attempt that stays pending writes nothing); DELETE (nothing deletes today) takes rows off.
 * PostgreSQL does not allow a column list with transition tables, so the UPDATE trigger fires
 * on every update of the outbox: all of them change `status` or `attempts` anyway.
 *
 * Existing rows are counted once here, with the outbox locked against writes (SHARE) for the
 * length of this transaction. town_id leads the primary key (sharding by town).
 */
export class DashboardOutboxTotals1796400000000 implements MigrationInterface {
  name = 'DashboardOutboxTotals1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "dashboard_outbox_totals" ("town_id" uuid NOT NULL, "period" text NOT NULL, "village_id" uuid NOT NULL, "status" text NOT NULL, "slot" smallint NOT NULL, "n" bigint NOT NULL, CONSTRAINT "pk_dashboard_outbox_totals" PRIMARY KEY ("town_id", "period", "village_id", "status", "slot"))`,
    );
    // One function for the three triggers: what a statement added (new rows) less what it took (old rows), per key.
    await q.query(`
      CREATE FUNCTION dashboard_count_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO dashboard_outbox_totals AS t (town_id, period, village_id, status, slot, n)
          SELECT town_id, period, village_id, status, (pg_backend_pid() % 8)::smallint, count(*)
            FROM new_outbox WHERE status <> 'sent'
           GROUP BY town_id, period, village_id, status
           ORDER BY town_id, period, village_id, status
          ON CONFLICT (town_id, period, village_id, status, slot) DO UPDATE SET n = t.n + EXCLUDED.n;
        ELSIF TG_OP = 'UPDATE' THEN
          INSERT INTO dashboard_outbox_totals AS t (town_id, period, village_id, status, slot, n)
          SELECT town_id, period, village_id, status, (pg_backend_pid() % 8)::smallint, sum(d)
            FROM (SELECT town_id, period, village_id, status, 1 AS d FROM new_outbox WHERE status <> 'sent'
                  UNION ALL
                  SELECT town_id, period, village_id, status, -1 FROM old_outbox WHERE status <> 'sent') x
           GROUP BY town_id, period, village_id, status
          HAVING sum(d) <> 0
           ORDER BY town_id, period, village_id, status
          ON CONFLICT (town_id, period, village_id, status, slot) DO UPDATE SET n = t.n + EXCLUDED.n;
        ELSE
          INSERT INTO dashboard_outbox_totals AS t (town_id, period, village_id, status, slot, n)
          SELECT town_id, period, village_id, status, (pg_backend_pid() % 8)::smallint, -count(*)
            FROM old_outbox WHERE status <> 'sent'
           GROUP BY town_id, period, village_id, status
           ORDER BY town_id, period, village_id, status
          ON CONFLICT (town_id, period, village_id, status, slot) DO UPDATE SET n = t.n + EXCLUDED.n;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER credit_outbox_totals_insert AFTER INSERT ON credit_outbox REFERENCING NEW TABLE AS new_outbox FOR EACH STATEMENT EXECUTE FUNCTION dashboard_count_outbox()`);
    await q.query(
      `CREATE TRIGGER credit_outbox_totals_update AFTER UPDATE ON credit_outbox REFERENCING OLD TABLE AS old_outbox NEW TABLE AS new_outbox FOR EACH STATEMENT EXECUTE FUNCTION dashboard_count_outbox()`,
    );
    await q.query(`CREATE TRIGGER credit_outbox_totals_delete AFTER DELETE ON credit_outbox REFERENCING OLD TABLE AS old_outbox FOR EACH STATEMENT EXECUTE FUNCTION dashboard_count_outbox()`);

    await q.query(`LOCK TABLE credit_outbox IN SHARE MODE`);
    await q.query(
      `INSERT INTO dashboard_outbox_totals (town_id, period, village_id, status, slot, n)
       SELECT town_id, period, village_id, status, 0, count(*) FROM credit_outbox WHERE status <> 'sent'
        GROUP BY town_id, period, village_id, status`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER credit_outbox_totals_delete ON credit_outbox`);
    await q.query(`DROP TRIGGER credit_outbox_totals_update ON credit_outbox`);
    await q.query(`DROP TRIGGER credit_outbox_totals_insert ON credit_outbox`);
    await q.query(`DROP FUNCTION dashboard_count_outbox()`);
    await q.query(`DROP TABLE "dashboard_outbox_totals"`);
  }
}
