import { describe, expect, it } from 'vitest';
import { CreditExportRepository } from '@app/credit-export/credit-export.repository';
import { seedDemo } from '@app/database/demo-seed';
import { undoMigrationsThrough, useOwnDataSource } from '../support/own-database';

/**
 * Migration OutboxNarrow on a town that already has outbox rows with their jsonb payload
 * (pending, failed and sent): every row keeps its id, status, attempts, error and send time,
 * gets its posting's village and period, and a row sent after the upgrade carries, byte for
 * byte, the record the payload held.
 */
describe('the OutboxNarrow migration on a town with outbox rows', () => {
  const ds = useOwnDataSource('xinyi-test-outbox-narrow');

  it('keeps every row and its state, and the records built from the postings equal the stored payloads', async () => {
    await seedDemo(ds(), 'test-id-hash-secret');
    // Back to the schema before OutboxNarrow (undoing the migrations newer than it first).
    await undoMigrationsThrough(ds(), 'OutboxNarrow1796100000000');
    // The previous release's outbox: its enqueue, verbatim, for the demo's postings.
    await ds().query(
      `INSERT INTO credit_outbox (town_id, posting_id, payload)
       SELECT p.town_id, p.id,
              jsonb_build_object('postingId', p.id::text, 'residentId', p.account_id, 'villageId', p.village_id, 'period', p.period,
                                 'itemCode', p.item_code, 'itemName', p.memo, 'points', p.points,
                                 'postedAt', to_char(p.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'hash', p.hash)
         FROM postings p
        ORDER BY p.id
       ON CONFLICT (posting_id, town_id) DO NOTHING`,
    );
    const [{ n }] = await ds().query(`SELECT count(*)::int AS n FROM credit_outbox`);
    expect(n).toBeGreaterThan(10);
    // The previous release's states: some failed with an answer, some sent, the rest pending.
    await ds().query(`UPDATE credit_outbox SET status = 'failed', attempts = 10, last_error = 'platform answered 503' WHERE id IN (SELECT id FROM credit_outbox ORDER BY id LIMIT 3)`);
    await ds().query(`UPDATE credit_outbox SET status = 'sent', attempts = 1, sent_at = now() WHERE id IN (SELECT id FROM credit_outbox ORDER BY id DESC LIMIT 4)`);
    const before = await ds().query(
      `SELECT id::text, town_id, posting_id::text, status, attempts, last_error, sent_at, created_at, payload, payload::text AS body,
              payload->>'villageId' AS village_id, payload->>'period' AS period
         FROM credit_outbox ORDER BY credit_outbox.id`,
    );

    expect((await ds().runMigrations({ transaction: 'each' })).map((m) => m.name)[0]).toBe('OutboxNarrow1796100000000');

    const after = await ds().query(`SELECT id::text, town_id, posting_id::text, status, attempts, last_error, sent_at, created_at, village_id, period FROM credit_outbox ORDER BY credit_outbox.id`);
    expect(after).toEqual(before.map(({ payload: _p, body: _b, ...row }: Record<string, unknown>) => row));
    expect(await ds().query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'credit_outbox' AND column_name = 'payload'`)).toEqual([{ n: 0 }]);

    // What the sender reads now is what it read before, key order included (the body is signed).
    const pending = before.filter((r: { status: string }) => r.status === 'pending');
    const sent = await new CreditExportRepository(ds()).pendingBatch(10_000);
    expect(sent.map((r) => r.id)).toEqual(pending.map((r: { id: string }) => r.id));
    expect(sent.map((r) => JSON.stringify(r.payload))).toEqual(pending.map((r: { payload: unknown }) => JSON.stringify(r.payload)));
  });
});
