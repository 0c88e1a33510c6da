import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DESIGN.md §4.1: the ledger's history is refused changes by PostgreSQL itself, not only by the
 * code. UPDATE, DELETE and TRUNCATE on these tables raise SQLSTATE 55A01 ("append-only").
 * (A superuser can still disable triggers; the hash chain is what catches that.)
 */
const APPEND_ONLY = [
  'deed_entries',
  'entry_events',
  'entry_batches',
  'postings',
  'audit_log',
  'resident_status_events',
  'catalog_items',
  'catalog_adoptions',
  'ledger_corrections',
  'yearly_ratings',
];

export class AppendOnlyTriggers1795439300000 implements MigrationInterface {
  name = 'AppendOnlyTriggers1795439300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = '55A01';
      END $$`);
    for (const t of APPEND_ONLY) {
      await q.query(`CREATE TRIGGER ${t}_append_only BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
      await q.query(`CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of APPEND_ONLY) {
      await q.query(`DROP TRIGGER IF EXISTS ${t}_append_only ON ${t}`);
      await q.query(`DROP TRIGGER IF EXISTS ${t}_no_truncate ON ${t}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS refuse_change()`);
  }
}
