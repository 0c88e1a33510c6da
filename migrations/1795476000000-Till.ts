import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The browser till (issue 16): pairing codes, paired terminals that need a signed-in clerk, the
 * clerk on each redemption and the terminal on each void, goods codes and barcodes (unique per
 * shop), and stock count corrections ('counted' movements; TypeORM does not diff CHECKs, so that
 * one is by hand).
 */
export class Till1795476000000 implements MigrationInterface {
  name = 'Till1795476000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "terminal_pairings" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "town_id" uuid NOT NULL, "shop_id" uuid NOT NULL, "terminal_name" text NOT NULL, "code_hash" text NOT NULL, "created_by" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "terminal_id" uuid, CONSTRAINT "PK_b89a74692265f583ae183de0264" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_c3f6824f46f65c47eebd7e5e3e" ON "terminal_pairings"  ("code_hash") `);
    await queryRunner.query(`CREATE INDEX "ix_terminal_pairings_shop" ON "terminal_pairings"  ("shop_id", "created_at") `);
    await queryRunner.query(`ALTER TABLE "terminals" ADD "requires_clerk" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TABLE "goods" ADD "code" text`);
    await queryRunner.query(`ALTER TABLE "goods" ADD "barcode" text`);
    await queryRunner.query(`ALTER TABLE "redemptions" ADD "clerk_id" uuid`);
    await queryRunner.query(`ALTER TABLE "redemption_voids" ADD "terminal_id" uuid`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_goods_shop_barcode" ON "goods"  ("shop_id", "barcode") WHERE barcode IS NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_goods_shop_code" ON "goods"  ("shop_id", "code") WHERE code IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "stock_movements" DROP CONSTRAINT "ck_stock_movements_kind"`);
    await queryRunner.query(`ALTER TABLE "stock_movements" ADD CONSTRAINT "ck_stock_movements_kind" CHECK (kind IN ('received','written_off','redeemed','voided','counted'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "stock_movements" DROP CONSTRAINT "ck_stock_movements_kind"`);
    await queryRunner.query(`ALTER TABLE "stock_movements" ADD CONSTRAINT "ck_stock_movements_kind" CHECK (kind IN ('received','written_off','redeemed','voided'))`);
    await queryRunner.query(`DROP INDEX "public"."uq_goods_shop_code"`);
    await queryRunner.query(`DROP INDEX "public"."uq_goods_shop_barcode"`);
    await queryRunner.query(`ALTER TABLE "redemption_voids" DROP COLUMN "terminal_id"`);
    await queryRunner.query(`ALTER TABLE "redemptions" DROP COLUMN "clerk_id"`);
    await queryRunner.query(`ALTER TABLE "goods" DROP COLUMN "barcode"`);
    await queryRunner.query(`ALTER TABLE "goods" DROP COLUMN "code"`);
    await queryRunner.query(`ALTER TABLE "terminals" DROP COLUMN "requires_clerk"`);
    await queryRunner.query(`DROP INDEX "public"."ix_terminal_pairings_shop"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_c3f6824f46f65c47eebd7e5e3e"`);
    await queryRunner.query(`DROP TABLE "terminal_pairings"`);
  }
}
