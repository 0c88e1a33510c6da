import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets the updates of an entry's state (close, decisions, finalize's mark as posted) be HOT:
 * PostgreSQL rewrites the row on its own page without a new entry in every index, which it can
 * only do when no indexed column changes and the page has room.
 * - `ix_entry_states_village_period_status (village_id, period, status)` becomes
 *   `ix_entry_states_village_period (village_id, period)`. Every reader of states by status asks
 *   for one village-period (2,000–4,500 rows at most), which the shorter key still finds;
 *   reconcile's search for late-dismissed entries, the one reader across all cycles, starts from
 *   the objections instead (ReviewRepository.dueWork).
 * - fillfactor 50: a village's rows lie together, and finalize marks them all in one
 *   transaction, so a page needs room for a second version of each of its rows. Applies to pages
 *   written from now on; pages already full stay as they are (their entries are long posted).
 * Built and dropped CONCURRENTLY (outside a transaction), so a live service is not locked.
 * (`down` is not: TypeORM runs an undo inside a transaction whatever `transaction` says.)
 */
export class EntryStatesHot1795600000000 implements MigrationInterface {
  name = 'EntryStatesHot1795600000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_entry_states_village_period" ON "entry_states" ("village_id", "period")`);
    await q.query(`DROP INDEX CONCURRENTLY IF EXISTS "ix_entry_states_village_period_status"`);
    await q.query(`ALTER TABLE "entry_states" SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "entry_states" RESET (fillfactor)`);
    await q.query(`CREATE INDEX IF NOT EXISTS "ix_entry_states_village_period_status" ON "entry_states" ("village_id", "period", "status")`);
    await q.query(`DROP INDEX IF EXISTS "ix_entry_states_village_period"`);
  }
}
