import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sharding by town (issue 19, docs/ARCHITECTURE.md "Sharding by town"): every table that holds a
 * town's data gets a NOT NULL `town_id` in its primary key and in every unique key, so a Citus
 * `create_distributed_table(…, 'town_id')` needs no further schema change.
 * test/integration/shard-ready.test.ts checks the result from pg_catalog.
 *
 * `town_id` goes last in each key: PostgreSQL 15 has no skip scan, so a key that led with town_id
 * would stop serving today's lookups by id alone (`WHERE id = $1`, `ON CONFLICT` aside). Every
 * key gets wider, none gets weaker: ids are uuids or identities, and each row's town is its
 * parent's. Three keys do become per town: a resident's card code and national-ID hash and a
 * receipt number (the code still checks card codes and ID hashes across towns before it writes).
 *
 * Data already there: only shop_villages lacked town_id (taken from its shop) and audit_log had
 * it nullable (a reused refresh token was logged without a town: taken from the staff member).
 * No row of postings, entries or events changes, so the hash chains and checkpoints stay as
 * they are; audit_log's append-only trigger is switched off only for its backfill, inside this
 * transaction, and only when there is something to backfill.
 *
 * Lock time: one transaction, each table locked (ACCESS EXCLUSIVE) from its key rebuild to the
 * commit; the rebuild is one index build per key (measured figures in docs/ARCHITECTURE.md).
 */

/** [table, old primary key name, old columns, new primary key name, new columns] */
const PRIMARY_KEYS: Array<[string, string, string[], string, string[]]> = [
  ['accounts', 'PK_6b7aa9c64ac2b0c09b679e23a03', ['resident_id'], 'PK_43c4eb60f80ef4347b1f59027fc', ['resident_id', 'town_id']],
  ['audit_log', 'PK_07fefa57f7f5ab8fc3f52b3ed0b', ['id'], 'PK_e5cbcdb664982ec2ac351074440', ['id', 'town_id']],
  ['boards', 'PK_f940a513bb3238ea195b2e23a54', ['cycle_id'], 'PK_c20026e3391b7daa1eff49a6d34', ['cycle_id', 'town_id']],
  ['catalog_adoptions', 'PK_326bae9182aba50fed1bdf7ddc0', ['id'], 'PK_5a36817b8a9c8250139aab8f8d6', ['id', 'town_id']],
  ['catalog_item_retirements', 'PK_a8e23acda4e5a8726c28c1810ac', ['item_id'], 'PK_230f573670d165c3a059235adc7', ['item_id', 'town_id']],
  ['credit_outbox', 'PK_0a3bf567d4e4c7d07f1617990f5', ['id'], 'PK_e5e5900fa6ad1e7b93609a3ad2b', ['id', 'town_id']],
  ['cycle_checkpoints', 'PK_efd24294cb4f881bd814c439c46', ['cycle_id'], 'PK_78d021bd839e9d45ec16550bdeb', ['cycle_id', 'town_id']],
  ['cycle_events', 'PK_e43a352411ab5360030a73ee924', ['id'], 'PK_a190e68d2821bf0a77ed5b22a25', ['id', 'town_id']],
  ['deed_entries', 'PK_46f7156b232d02af300d03a44e0', ['id'], 'PK_d222fc0021dcbf4bb0f1edfde92', ['id', 'town_id']],
  ['entry_batches', 'PK_61110a600abf5da36d40352eb82', ['id'], 'PK_09249f725b781b572cca681d684', ['id', 'town_id']],
  ['entry_events', 'PK_340d846a0794c7a519f36b47019', ['id'], 'PK_22508fba08347221d63ea3e0ac0', ['id', 'town_id']],
  ['entry_states', 'PK_b6ba7f2b0515d42522da73156a5', ['entry_id'], 'PK_6b19edc1a3920a929ec00450b70', ['entry_id', 'town_id']],
  ['goods', 'PK_105e56546afe0823fa08df0baf7', ['id'], 'PK_6c5fe174f917d2699a2607614df', ['id', 'town_id']],
  ['households', 'PK_2b1aef2640717132e9231aac756', ['id'], 'PK_557638c4c43d9dac70116496d09', ['id', 'town_id']],
  ['ledger_corrections', 'PK_e00be91d04feae20636e4e8afdc', ['id'], 'PK_b33a78b067aa24d30c6861c3abb', ['id', 'town_id']],
  ['notices', 'PK_3eb18c29da25d6935fcbe584237', ['id'], 'PK_54059c5ff7fe837a28c8ca12930', ['id', 'town_id']],
  ['objections', 'PK_6bb81f77d9eabef4f46e9c0934f', ['id'], 'PK_cc83c94ce06264c80f42bc443c2', ['id', 'town_id']],
  ['postings', 'PK_6bdb1a5dc47d018aa7877aa9ffb', ['id'], 'PK_5e5a1ec053dd53a1c7b40eb7dd9', ['id', 'town_id']],
  ['record_counters', 'PK_record_counters', ['village_id', 'period'], 'PK_record_counters', ['village_id', 'period', 'town_id']],
  ['redemption_voids', 'PK_7b66535c3cde3e14f373c2d809d', ['redemption_id'], 'PK_3a22c5e552475b00b101175a740', ['redemption_id', 'town_id']],
  ['redemptions', 'PK_def143ab94376fea5985bb04219', ['id'], 'PK_c9192a50f61ac9e99bb9f9b9942', ['id', 'town_id']],
  ['resident_access_tokens', 'PK_b721d2748565ab93a76dc97149e', ['id'], 'PK_d0d81527029d519427b5705e4ca', ['id', 'town_id']],
  ['resident_status_events', 'PK_bc1feea2b3a54969475f0ac5b85', ['id'], 'PK_ed80db4bb51e5e5c5c78c596885', ['id', 'town_id']],
  ['residents', 'PK_4c8d0413ee0e9a4ebbf500f7365', ['id'], 'PK_e898d5b1985ccf2a0f7d381ce37', ['id', 'town_id']],
  ['review_cycles', 'PK_5634972955eaa909a8ff55736a7', ['id'], 'PK_b6a9d7b2bdb86a6e4ef57395a4e', ['id', 'town_id']],
  ['review_meetings', 'PK_3eb92e83ec52e0f461ade5cf3f5', ['id'], 'PK_a357c26b3269b0665485efbabc0', ['id', 'town_id']],
  ['shop_villages', 'PK_23428a1c44768e223376c31db7a', ['shop_id', 'village_id'], 'PK_6eb9662622055df0e79c4176764', ['shop_id', 'village_id', 'town_id']],
  ['shops', 'PK_3c6aaa6607d287de99815e60b96', ['id'], 'PK_73f2ad1002429fd00b477a3e5e6', ['id', 'town_id']],
  ['stock_movements', 'PK_57a26b190618550d8e65fb860e7', ['id'], 'PK_cc42c196d64623edbf771797cbb', ['id', 'town_id']],
  ['villages', 'PK_3d9cf7c71c05c7ef684331317bd', ['id'], 'PK_42d3bad91fbe9758c49ce941eda', ['id', 'town_id']],
  ['yearly_ratings', 'PK_40e57f101f7cb8dcb937382d961', ['resident_id', 'year'], 'PK_dac4b235555c52561f8133ec510', ['resident_id', 'year', 'town_id']],
];

/** Unique constraints (ALTER TABLE … UNIQUE), kept under their names: [table, name, old columns]; town_id is appended. */
const UNIQUE_CONSTRAINTS: Array<[string, string, string[]]> = [
  ['households', 'uq_households_village_code', ['village_id', 'code']],
  ['postings', 'uq_postings_account_seq', ['account_id', 'seq']],
  ['postings', 'uq_postings_kind_source', ['kind', 'source_ref']],
  ['redemptions', 'uq_redemptions_terminal_key', ['terminal_id', 'idempotency_key']],
  ['review_cycles', 'uq_review_cycles_village_period', ['village_id', 'period']],
];

/** Unique indexes: [table, old name, new name, old columns, partial WHERE or null]; town_id is appended. */
const UNIQUE_INDEXES: Array<[string, string, string, string[], string | null]> = [
  ['credit_outbox', 'uq_credit_outbox_posting', 'uq_credit_outbox_posting', ['posting_id'], null],
  ['cycle_checkpoints', 'uq_cycle_checkpoints_village_period', 'uq_cycle_checkpoints_village_period', ['village_id', 'period'], null],
  ['deed_entries', 'uq_entries_idempotency', 'uq_entries_idempotency', ['village_id', 'idempotency_key'], 'idempotency_key IS NOT NULL'],
  ['entry_batches', 'uq_entry_batches_village_checksum', 'uq_entry_batches_village_checksum', ['village_id', 'checksum'], null],
  ['goods', 'uq_goods_shop_barcode', 'uq_goods_shop_barcode', ['shop_id', 'barcode'], 'barcode IS NOT NULL'],
  ['goods', 'uq_goods_shop_code', 'uq_goods_shop_code', ['shop_id', 'code'], 'code IS NOT NULL'],
  ['ledger_corrections', 'uq_corrections_one_reversal', 'uq_corrections_one_reversal', ['original_posting_id'], `type = 'reversal'`],
  ['notices', 'uq_notices_source_key', 'uq_notices_source_key', ['source_key'], null],
  ['redemptions', 'IDX_4f3349c37adab485aa5a7fa0b7', 'uq_redemptions_receipt_no', ['receipt_no'], null],
  ['resident_access_tokens', 'uq_resident_access_tokens_hash', 'uq_resident_access_tokens_hash', ['token_hash'], null],
  ['resident_access_tokens', 'uq_resident_access_tokens_live', 'uq_resident_access_tokens_live', ['resident_id'], 'revoked_at IS NULL'],
  ['residents', 'IDX_2e87c2d4ee834cea1c4e852acc', 'uq_residents_card_code', ['card_code'], null],
  ['residents', 'IDX_f2b21aac6c9ddee690a43214a3', 'uq_residents_id_hash', ['id_hash'], null],
];

const cols = (c: string[]) => c.map((x) => `"${x}"`).join(', ');

export class ShardReady1795499000000 implements MigrationInterface {
  name = 'ShardReady1795499000000';

  async up(q: QueryRunner): Promise<void> {
    // Index builds are the whole cost here; give them memory for this transaction only. A key
    // rebuild on a large postings table can outlast the 60 s statement limit every connection
    // of ours carries (data-source-options.ts): this is maintenance, not a stuck statement.
    await q.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    await q.query(`SET LOCAL statement_timeout = 0`);

    // shop_villages: the one town table without town_id. Backfill before NOT NULL.
    await q.query(`ALTER TABLE "shop_villages" ADD "town_id" uuid`);
    await q.query(`UPDATE "shop_villages" sv SET "town_id" = s."town_id" FROM "shops" s WHERE s."id" = sv."shop_id"`);
    await this.refuseNulls(q, 'shop_villages', 'a shop_villages row names no existing shop');
    await q.query(`ALTER TABLE "shop_villages" ALTER COLUMN "town_id" SET NOT NULL`);

    // audit_log: rows written without a town (auth.refresh_reused before this release) get the
    // town of the staff member they are about. The trigger that refuses UPDATE is off only for
    // this statement, inside this transaction: no other session ever sees it off.
    const [{ n }] = await q.query(`SELECT count(*)::int AS n FROM "audit_log" WHERE "town_id" IS NULL`);
    if (n > 0) {
      await q.query(`ALTER TABLE "audit_log" DISABLE TRIGGER "audit_log_append_only"`);
      await q.query(
        `UPDATE "audit_log" a SET "town_id" = s."town_id" FROM "staff_users" s
          WHERE a."town_id" IS NULL
            AND ((a."target_type" = 'staff' AND a."target_id" = s."id"::text) OR (a."actor_type" = 'staff' AND a."actor_id" = s."id"::text))`,
      );
      await q.query(
        `UPDATE "audit_log" a SET "town_id" = t."id" FROM "towns" t WHERE a."town_id" IS NULL AND a."target_type" = 'town' AND a."target_id" = t."id"::text`,
      );
      await q.query(`ALTER TABLE "audit_log" ENABLE TRIGGER "audit_log_append_only"`);
      await this.refuseNulls(q, 'audit_log', 'audit rows whose town cannot be told from their actor or target; give them a town by hand, then migrate again');
    }
    await q.query(`ALTER TABLE "audit_log" ALTER COLUMN "town_id" SET NOT NULL`);

    for (const [table, oldName, , newName, newCols] of PRIMARY_KEYS) {
      await q.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${oldName}", ADD CONSTRAINT "${newName}" PRIMARY KEY (${cols(newCols)})`);
    }
    for (const [table, name, oldCols] of UNIQUE_CONSTRAINTS) {
      await q.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${name}", ADD CONSTRAINT "${name}" UNIQUE (${cols([...oldCols, 'town_id'])})`);
    }
    for (const [table, oldName, newName, oldCols, where] of UNIQUE_INDEXES) {
      await q.query(`DROP INDEX "public"."${oldName}"`);
      await q.query(`CREATE UNIQUE INDEX "${newName}" ON "${table}" (${cols([...oldCols, 'town_id'])})${where ? ` WHERE ${where}` : ''}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, oldName, newName, oldCols, where] of UNIQUE_INDEXES) {
      await q.query(`DROP INDEX "public"."${newName}"`);
      await q.query(`CREATE UNIQUE INDEX "${oldName}" ON "${table}" (${cols(oldCols)})${where ? ` WHERE ${where}` : ''}`);
    }
    for (const [table, name, oldCols] of UNIQUE_CONSTRAINTS) {
      await q.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${name}", ADD CONSTRAINT "${name}" UNIQUE (${cols(oldCols)})`);
    }
    for (const [table, oldName, oldCols, newName] of PRIMARY_KEYS) {
      await q.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${newName}", ADD CONSTRAINT "${oldName}" PRIMARY KEY (${cols(oldCols)})`);
    }
    // The backfilled audit towns stay (append-only); the column only becomes nullable again.
    await q.query(`ALTER TABLE "audit_log" ALTER COLUMN "town_id" DROP NOT NULL`);
    await q.query(`ALTER TABLE "shop_villages" DROP COLUMN "town_id"`);
  }

  private async refuseNulls(q: QueryRunner, table: string, why: string): Promise<void> {
    const [{ n }] = await q.query(`SELECT count(*)::int AS n FROM "${table}" WHERE "town_id" IS NULL`);
    if (n > 0) throw new Error(`ShardReady: ${n} ${table} row(s) without a town: ${why}`);
  }
}
