import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Checkpoints1795440151298 implements MigrationInterface {
  name = 'Checkpoints1795440151298';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "cycle_checkpoints" ("cycle_id" uuid NOT NULL, "town_id" uuid NOT NULL, "village_id" uuid NOT NULL, "period" text NOT NULL, "heads" jsonb NOT NULL, "hash" character(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_efd24294cb4f881bd814c439c46" PRIMARY KEY ("cycle_id"))`);
    await queryRunner.query(`CREATE TRIGGER cycle_checkpoints_append_only BEFORE UPDATE OR DELETE ON cycle_checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "cycle_checkpoints"`);
  }
}
