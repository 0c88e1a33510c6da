import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 18 §1, a board a village can pin up:
 * - deed_entries.record_no (记录编号, e.g. DC-2611-0042): assigned at creation from
 *   record_counters; existing entries are numbered here in the order they were entered. The
 *   append-only trigger is switched off for that one backfill UPDATE (the table owner runs
 *   migrations) and on again in the same transaction.
 * - objections.number (异议编号: record number + -Y<n>), backfilled in filing order.
 * - towns.contact_phone, towns.board_household_numbers; villages.committee, villages.contact_phone.
 */
export class BoardRecordNumbers1795483000000 implements MigrationInterface {
  name = 'BoardRecordNumbers1795483000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "record_counters" ("village_id" uuid NOT NULL, "period" text NOT NULL, "town_id" uuid NOT NULL, "last_seq" integer NOT NULL, CONSTRAINT "PK_record_counters" PRIMARY KEY ("village_id", "period"))`);
    await q.query(`ALTER TABLE "deed_entries" ADD "record_no" text`);
    await q.query(`ALTER TABLE "deed_entries" DISABLE TRIGGER deed_entries_append_only`);
    await q.query(`
      UPDATE deed_entries e SET record_no = v.code || '-' || substr(e.period, 3, 2) || substr(e.period, 6, 2) || '-' ||
             CASE WHEN n.seq < 10000 THEN lpad(n.seq::text, 4, '0') ELSE n.seq::text END
        FROM (SELECT id, row_number() OVER (PARTITION BY village_id, period ORDER BY entered_at, id) AS seq FROM deed_entries) n,
             villages v
       WHERE n.id = e.id AND v.id = e.village_id`);
    await q.query(`ALTER TABLE "deed_entries" ENABLE TRIGGER deed_entries_append_only`);
    await q.query(`INSERT INTO record_counters (village_id, period, town_id, last_seq) SELECT village_id, period, min(town_id::text)::uuid, count(*) FROM deed_entries GROUP BY village_id, period`);
    await q.query(`ALTER TABLE "deed_entries" ALTER COLUMN "record_no" SET NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX "uq_entries_town_record_no" ON "deed_entries" ("town_id", "record_no") `);

    await q.query(`ALTER TABLE "objections" ADD "number" text`);
    await q.query(`
      UPDATE objections o SET number = e.record_no || '-Y' || n.nth
        FROM (SELECT id, row_number() OVER (PARTITION BY entry_id ORDER BY filed_at, id) AS nth FROM objections) n, deed_entries e
       WHERE n.id = o.id AND e.id = o.entry_id`);
    await q.query(`ALTER TABLE "objections" ALTER COLUMN "number" SET NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX "uq_objections_town_number" ON "objections" ("town_id", "number") `);

    await q.query(`ALTER TABLE "towns" ADD "contact_phone" text`);
    await q.query(`ALTER TABLE "towns" ADD "board_household_numbers" boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE "villages" ADD "committee" text`);
    await q.query(`ALTER TABLE "villages" ADD "contact_phone" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "villages" DROP COLUMN "contact_phone"`);
    await q.query(`ALTER TABLE "villages" DROP COLUMN "committee"`);
    await q.query(`ALTER TABLE "towns" DROP COLUMN "board_household_numbers"`);
    await q.query(`ALTER TABLE "towns" DROP COLUMN "contact_phone"`);
    await q.query(`DROP INDEX "uq_objections_town_number"`);
    await q.query(`ALTER TABLE "objections" DROP COLUMN "number"`);
    await q.query(`DROP INDEX "uq_entries_town_record_no"`);
    await q.query(`ALTER TABLE "deed_entries" DISABLE TRIGGER deed_entries_append_only`);
    await q.query(`ALTER TABLE "deed_entries" DROP COLUMN "record_no"`);
    await q.query(`ALTER TABLE "deed_entries" ENABLE TRIGGER deed_entries_append_only`);
    await q.query(`DROP TABLE "record_counters"`);
  }
}
