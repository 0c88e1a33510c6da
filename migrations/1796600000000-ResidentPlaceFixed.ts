import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A resident's id, town and village never change and a resident is never deleted: their account,
 * postings and entries carry the same town and village, and someone who moves is 迁出 in one
 * village and a new resident in the other. The code has never done otherwise; PostgreSQL now
 * refuses it (55A01), so the auditors' search may remember which village a resident is in
 * (AuditorService) instead of reading it on every resident-filtered page. Name, phone,
 * household, status and consent change as before.
 */
export class ResidentPlaceFixed1796600000000 implements MigrationInterface {
  name = 'ResidentPlaceFixed1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION refuse_resident_move() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' OR NEW.id IS DISTINCT FROM OLD.id OR NEW.town_id IS DISTINCT FROM OLD.town_id OR NEW.village_id IS DISTINCT FROM OLD.village_id THEN
          RAISE EXCEPTION 'table %: a resident''s id, town and village are fixed and a resident is never deleted: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = '55A01';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER residents_place_fixed BEFORE UPDATE OF id, town_id, village_id OR DELETE ON residents FOR EACH ROW EXECUTE FUNCTION refuse_resident_move()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS residents_place_fixed ON residents`);
    await q.query(`DROP FUNCTION IF EXISTS refuse_resident_move()`);
  }
}
