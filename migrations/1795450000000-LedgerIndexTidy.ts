import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `ix_postings_town_period (town_id, period)` is a prefix of `ix_postings_town_period_posted`
 * (town_id, period, posted_at, id), so it only cost every posting one more index entry. Accounts
 * had no town index, and town-wide work (verification, regrading, the year end) read them all:
 * `ix_accounts_town (town_id, resident_id)` also gives the verifier its order.
 * Built and dropped CONCURRENTLY (outside a transaction), so a live ledger is not locked.
 */
export class LedgerIndexTidy1795450000000 implements MigrationInterface {
  name = 'LedgerIndexTidy1795450000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_accounts_town" ON "accounts" ("town_id", "resident_id")`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "ix_postings_town_period"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_postings_town_period" ON "postings" ("town_id", "period")`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "ix_accounts_town"`);
  }
}
