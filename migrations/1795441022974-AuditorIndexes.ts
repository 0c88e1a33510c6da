import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes of the auditors' postings search (docs/QUERIES.md): every filter the search accepts
 * has an index ending in (posted_at, id), so a page newest-first is an index range scan that
 * stops after `limit` rows. A period range without a narrower filter is read period by period
 * (one ordered scan of (town_id, period, posted_at, id) each, merged). A resident's postings use
 * the existing (account_id, seq) index.
 * Built CONCURRENTLY (outside a transaction) so a live ledger is not locked against writes.
 */
export class AuditorIndexes1795441022974 implements MigrationInterface {
  name = 'AuditorIndexes1795441022974';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_postings_town_posted" ON "postings" ("town_id", "posted_at", "id")`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_postings_village_posted" ON "postings" ("village_id", "posted_at", "id")`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_postings_town_kind_posted" ON "postings" ("town_id", "kind", "posted_at", "id")`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_postings_town_item_posted" ON "postings" ("town_id", "item_code", "posted_at", "id")`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_postings_town_period_posted" ON "postings" ("town_id", "period", "posted_at", "id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "ix_postings_town_period_posted"`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "ix_postings_town_item_posted"`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "ix_postings_town_kind_posted"`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "ix_postings_village_posted"`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "ix_postings_town_posted"`);
  }
}
