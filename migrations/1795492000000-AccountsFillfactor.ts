import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room on each accounts page for the next version of its rows. Every posting rewrites its
 * account's head (balance, score, grade, seq, hash: none of them indexed); with free space on
 * the page that update is HOT (no new entry in the table's three indexes) instead of a new row
 * elsewhere plus three index entries. Applies to pages written from now on (new accounts, and
 * pages vacuum empties); `VACUUM FULL accounts` applies it to old pages at once (it locks the
 * table: a quiet hour).
 */
export class AccountsFillfactor1795492000000 implements MigrationInterface {
  name = 'AccountsFillfactor1795492000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "accounts" SET (fillfactor = 70)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "accounts" RESET (fillfactor)`);
  }
}
