import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets the account head update (balance, seq, head_hash, credit_score, grade, updated_at: no
 * indexed column) be HOT: the new version on the row's own page, no new entry in the primary key,
 * ix_accounts_village or ix_accounts_town. PostgreSQL can only do that when the page has room,
 * and at the default fillfactor (100) a bulk-loaded or densely inserted page has none, so the
 * first update of each row went to another page with three new index entries.
 *
 * Why 50: a row is ≈ 180 bytes on the page (24 header, three uuids, four ints, the grade,
 * the 64-character head hash, updated_at, its line pointer): ≈ 45 rows per 8 kB page at 100.
 * Between vacuums a row is updated once per month end and once per redemption, but what needs
 * the room is the most versions of a page's rows alive at the same time. Finalize updates every
 * account of a village in ONE statement, and a village's accounts lie together (postBatch
 * creates them village by village), so every row of a page needs room for its second version
 * before any old one is dead: half the page. A redemption updates one row and commits; the next
 * access to a nearly full page prunes the dead versions (no vacuum needed), so for redemptions
 * any free room is enough. 50 costs ≈ 2× the table's pages (≈ 9 → 18 MB for a town of 50,000
 * residents), small beside the postings.
 *
 * Applies to pages written from now on: a new database (the bench loads after migrating) gets it
 * at once. An existing town converges by itself: a non-HOT update places the new version on a
 * page filled only to 50 %, so after one month end every updated row sits on such a page and its
 * next updates are HOT. To have it from the next month end instead, an operator may run
 * `VACUUM FULL accounts` in a maintenance window (it rewrites the table at the new fillfactor
 * under an ACCESS EXCLUSIVE lock: redemptions and statements wait for it, about a second per
 * 100,000 accounts). Not done here: a migration must not block the till.
 *
 * Autovacuum is left at its defaults: pruning on page access, not vacuum, frees the room HOT
 * updates reuse, and a month end's updates already exceed the 20 % scale factor.
 */
export class AccountsHot1796300000000 implements MigrationInterface {
  name = 'AccountsHot1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "accounts" SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "accounts" RESET (fillfactor)`);
  }
}
