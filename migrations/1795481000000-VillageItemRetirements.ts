import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Village items can be retired (issue 17). catalog_items is append-only, so a retirement is a row
 * of its own, append-only as well (by hand: TypeORM does not know triggers).
 */

export class VillageItemRetirements1795481000000 implements MigrationInterface {
  name = 'VillageItemRetirements1795481000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "catalog_item_retirements" ("item_id" uuid NOT NULL, "town_id" uuid NOT NULL, "village_id" uuid NOT NULL, "retired_on" date NOT NULL, "reason" text NOT NULL, "retired_by" uuid NOT NULL, "retired_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a8e23acda4e5a8726c28c1810ac" PRIMARY KEY ("item_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_catalog_item_retirements_village" ON "catalog_item_retirements"  ("village_id") `);
    await queryRunner.query(`CREATE TRIGGER catalog_item_retirements_append_only BEFORE UPDATE OR DELETE ON catalog_item_retirements FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
    await queryRunner.query(`CREATE TRIGGER catalog_item_retirements_no_truncate BEFORE TRUNCATE ON catalog_item_retirements FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_catalog_item_retirements_village"`);
    await queryRunner.query(`DROP TABLE "catalog_item_retirements"`);
  }
}
