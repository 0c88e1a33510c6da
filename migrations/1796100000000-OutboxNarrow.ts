import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19, finalize row writes and the dashboard's export backlog (README "Open performance
 * findings" 1 and 5): the outbox row no longer carries the record as jsonb. The export builds
 * each record from its posting when it sends it (same fields, same formats, same key order:
 * CreditExportRepository.pendingBatch), so finalize writes a narrow row; `village_id` and
 * `period` become columns with a partial index on the rows not yet sent, which the backlog counts
 * (dashboard, auditors' timeliness, metrics) read instead of every pending row's payload.
 *
 * Rows already there, pending, failed or sent, keep their id, status, attempts and error; their
 * village and period come from their payload (built from the same posting). Postings are
 * append-only, so a pending row sent after the upgrade carries the body it would have before.
 */
export class OutboxNarrow1796100000000 implements MigrationInterface {
  name = 'OutboxNarrow1796100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "credit_outbox" ADD "village_id" uuid, ADD "period" text`);
    await q.query(`UPDATE "credit_outbox" SET "village_id" = ("payload"->>'villageId')::uuid, "period" = "payload"->>'period'`);
    await q.query(`ALTER TABLE "credit_outbox" ALTER COLUMN "village_id" SET NOT NULL, ALTER COLUMN "period" SET NOT NULL, DROP COLUMN "payload"`);
    await q.query(`CREATE INDEX "ix_credit_outbox_unsent" ON "credit_outbox" ("town_id", "period", "village_id", "status") WHERE status <> 'sent'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."ix_credit_outbox_unsent"`);
    await q.query(`ALTER TABLE "credit_outbox" ADD "payload" jsonb`);
    await q.query(
      `UPDATE "credit_outbox" o
          SET "payload" = jsonb_build_object('postingId', p.id::text, 'residentId', p.account_id, 'villageId', p.village_id, 'period', p.period,
                                             'itemCode', p.item_code, 'itemName', p.memo, 'points', p.points,
                                             'postedAt', to_char(p.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'hash', p.hash)
         FROM "postings" p WHERE p.id = o.posting_id AND p.town_id = o.town_id`,
    );
    await q.query(`ALTER TABLE "credit_outbox" ALTER COLUMN "payload" SET NOT NULL, DROP COLUMN "village_id", DROP COLUMN "period"`);
  }
}
