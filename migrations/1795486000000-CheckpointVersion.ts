import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Checkpoint format versions. Every checkpoint written so far is version 1 (a flat SHA-256 over
 * the heads) and stays verifiable as such; finalize writes version 2 (a Merkle root over the same
 * heads) from now on. ADD COLUMN with a default fills the old rows without an UPDATE (the table
 * is append-only); the default is then dropped so no insert can silently claim a version.
 */
export class CheckpointVersion1795486000000 implements MigrationInterface {
  name = 'CheckpointVersion1795486000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "cycle_checkpoints" ADD "version" smallint NOT NULL DEFAULT 1`);
    await q.query(`ALTER TABLE "cycle_checkpoints" ALTER COLUMN "version" DROP DEFAULT`);
    await q.query(`ALTER TABLE "cycle_checkpoints" ADD CONSTRAINT "ck_cycle_checkpoints_version" CHECK (version IN (1, 2))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "cycle_checkpoints" DROP CONSTRAINT "ck_cycle_checkpoints_version"`);
    await q.query(`ALTER TABLE "cycle_checkpoints" DROP COLUMN "version"`);
  }
}
