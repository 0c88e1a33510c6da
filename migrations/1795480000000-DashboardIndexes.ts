import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The town dashboard (GET /towns/current/dashboard) reads, per request, six months of a town's
 * deed and shop postings and the month's entries. Measured on the bench town (1 M postings,
 * 100,000 entries in a month) with the existing indexes it took > 1 s: both queries fetched every
 * row from the heap. These two indexes hold every column those queries read, so PostgreSQL
 * answers them from the index alone (postings and deed entries are append-only, so their pages
 * stay all-visible once vacuumed):
 * - `ix_postings_town_period_totals (town_id, period, kind, village_id, counterparty, points)`:
 *   one more index entry per posting;
 * - `ix_entries_village_period (village_id, period)` becomes
 *   `ix_entries_village_period_items (village_id, period, item_code, item_id, occurred_on, points)`,
 *   which still serves every (village, period) look-up the old one served.
 * Built and dropped CONCURRENTLY (outside a transaction), so a live ledger is not locked.
 */
export class DashboardIndexes1795480000000 implements MigrationInterface {
  name = 'DashboardIndexes1795480000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_postings_town_period_totals" ON "postings" ("town_id", "period", "kind", "village_id", "counterparty", "points")`,
    );
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_entries_village_period_items" ON "deed_entries" ("village_id", "period", "item_code", "item_id", "occurred_on", "points")`,
    );
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "ix_entries_village_period"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_entries_village_period" ON "deed_entries" ("village_id", "period")`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "ix_entries_village_period_items"`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "ix_postings_town_period_totals"`);
  }
}
