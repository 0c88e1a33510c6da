import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * cycle_checkpoints refused UPDATE and DELETE but not TRUNCATE, unlike every other append-only
 * table: the checkpoints that anchor each village-period's chain heads could be emptied in one
 * statement.
 */
export class CheckpointsNoTruncate1795460000000 implements MigrationInterface {
  name = 'CheckpointsNoTruncate1795460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TRIGGER cycle_checkpoints_no_truncate BEFORE TRUNCATE ON cycle_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS cycle_checkpoints_no_truncate ON cycle_checkpoints`);
  }
}
