import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room on each accounts page for a second version of its rows, so that the head update a posting
 * makes (balance, credit score, grade, seq, head hash: no indexed column) is HOT instead of a new
 * row version elsewhere plus an entry in each of the three indexes. At finalize every account
 * of the village is updated once, in one statement. Applies to pages written from now on.
 */
export class AccountsFillfactor1795600000001 implements MigrationInterface {
  name = 'AccountsFillfactor1795600000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "accounts" SET (fillfactor = 70)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "accounts" RESET (fillfactor)`);
  }
}
