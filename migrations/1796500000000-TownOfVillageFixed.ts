import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A village's and a shop's id and town never change, and neither is deleted (a village's rows
 * carry its town_id, which is how the data is distributed by town). The code has never done
 * either; PostgreSQL now refuses both (SQLSTATE 55A01, as the append-only tables), so an api
 * process may remember which town a village or shop is in (ScopeService) instead of reading it
 * again on every village- or shop-scoped request. Their other columns (name, code, committee,
 * phone) change as before. (TRUNCATE is refused already: the postings table, which every
 * village's rows reach by foreign keys, refuses it, and without CASCADE the foreign keys do.)
 */
const TABLES = ['villages', 'shops'];

export class TownOfVillageFixed1796500000000 implements MigrationInterface {
  name = 'TownOfVillageFixed1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION refuse_town_move() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' OR NEW.id IS DISTINCT FROM OLD.id OR NEW.town_id IS DISTINCT FROM OLD.town_id THEN
          RAISE EXCEPTION 'table %: a row''s id and town are fixed and it is never deleted: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = '55A01';
        END IF;
        RETURN NEW;
      END $$`);
    for (const t of TABLES) {
      await q.query(`CREATE TRIGGER ${t}_town_fixed BEFORE UPDATE OF id, town_id OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION refuse_town_move()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of TABLES) {
      await q.query(`DROP TRIGGER IF EXISTS ${t}_town_fixed ON ${t}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS refuse_town_move()`);
  }
}
