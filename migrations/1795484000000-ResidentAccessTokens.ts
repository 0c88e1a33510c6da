import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Residents' access tokens for the phone page (issue 18 §2): only the token's SHA-256, at most one
 * live token per resident (partial unique index), revoked rows kept as the record of reissues.
 */
export class ResidentAccessTokens1795484000000 implements MigrationInterface {
  name = 'ResidentAccessTokens1795484000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "resident_access_tokens" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "town_id" uuid NOT NULL, "village_id" uuid NOT NULL, "resident_id" uuid NOT NULL, "token_hash" text NOT NULL, "issued_by" uuid NOT NULL, "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by" uuid, CONSTRAINT "PK_b721d2748565ab93a76dc97149e" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_resident_access_tokens_hash" ON "resident_access_tokens"  ("token_hash") `);
    await queryRunner.query(`CREATE INDEX "ix_resident_access_tokens_resident" ON "resident_access_tokens"  ("resident_id", "issued_at") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_resident_access_tokens_live" ON "resident_access_tokens"  ("resident_id") WHERE revoked_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_resident_access_tokens_live"`);
    await queryRunner.query(`DROP INDEX "public"."ix_resident_access_tokens_resident"`);
    await queryRunner.query(`DROP INDEX "public"."uq_resident_access_tokens_hash"`);
    await queryRunner.query(`DROP TABLE "resident_access_tokens"`);
  }
}
