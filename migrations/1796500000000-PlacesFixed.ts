import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where a village, a shop or a resident belongs never changes, and none of them is deleted: a
 * village's and a shop's id and town, a resident's id, town and village (their rows, account,
 * postings and entries carry them; the data is distributed by town; someone who moves is 迁出 in
 * one village and a new resident in the other). The code has never done otherwise; PostgreSQL
 * now refuses it (SQLSTATE 55A01, as the append-only tables), so an api process may remember
 * where each one is (ScopeService, the auditors' resident filter) instead of reading it on every
 * scoped request. Every other column (names, codes, committee, phones, household, status,
 * consent) changes as before. TRUNCATE is refused already: the postings table, which every one
 * of these reaches by foreign keys, refuses it, and without CASCADE the foreign keys do.
 */
const FIXED: Record<string, string[]> = {
  villages: ['id', 'town_id'],
  shops: ['id', 'town_id'],
  residents: ['id', 'town_id', 'village_id'],
};

export class PlacesFixed1796500000000 implements MigrationInterface {
  name = 'PlacesFixed1796500000000';

  async up(q: QueryRunner): Promise<void> {
    // The trigger's arguments name the fixed columns.
    await q.query(`
      CREATE FUNCTION refuse_move() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE col text;
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'table %: a row is never deleted: DELETE refused', TG_TABLE_NAME USING ERRCODE = '55A01';
        END IF;
        FOREACH col IN ARRAY TG_ARGV LOOP
          IF to_jsonb(NEW) -> col IS DISTINCT FROM to_jsonb(OLD) -> col THEN
            RAISE EXCEPTION 'table %: % is fixed: UPDATE refused', TG_TABLE_NAME, col USING ERRCODE = '55A01';
          END IF;
        END LOOP;
        RETURN NEW;
      END $$`);
    for (const [table, cols] of Object.entries(FIXED)) {
      await q.query(`CREATE TRIGGER ${table}_place_fixed BEFORE UPDATE OF ${cols.join(', ')} OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_move(${cols.map((c) => `'${c}'`).join(', ')})`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of Object.keys(FIXED)) await q.query(`DROP TRIGGER IF EXISTS ${table}_place_fixed ON ${table}`);
    await q.query(`DROP FUNCTION IF EXISTS refuse_move()`);
  }
}
