import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerService } from '@app/ledger/ledger.service';
import type { PostingRequest } from '@app/ledger/ledger.types';
import { startStack, type TestStack } from '../support/app';
import { seedTown, type TownFixture } from '../support/fixtures';
import { waitFor } from '../support/wait-for';

/**
 * Migration AccountsHot: accounts pages keep room (fillfactor 50), so the head update of a
 * posting batch (a village's month end: every account of the village in one statement) is HOT,
 * the new version on the row's own page and no new index entries. Without the room every row's
 * second version went to another page with three index entries.
 */
describe('accounts head updates are HOT', () => {
  let stack: TestStack;
  let f: TownFixture;
  const RESIDENTS = 2000;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 1);
  });
  afterAll(async () => stack?.close());

  const counters = async () => {
    await stack.db.query('SELECT pg_stat_clear_snapshot()');
    const [r] = await stack.db.query(`SELECT n_tup_upd::int AS upd, n_tup_hot_upd::int AS hot FROM pg_stat_user_tables WHERE relname = 'accounts'`);
    return r as { upd: number; hot: number };
  };

  it('has fillfactor 50', async () => {
    const [{ reloptions }] = await stack.db.query(`SELECT reloptions FROM pg_class WHERE oid = 'public.accounts'::regclass`);
    expect(reloptions).toContain('fillfactor=50');
  });

  it('updates every head of a village month end on its own page, also the month after', async () => {
    const [hh] = await stack.db.query(`INSERT INTO households (town_id, village_id, code) VALUES ($1, $2, 'HOT') RETURNING id`, [f.townId, f.villageA]);
    const ids: string[] = (
      await stack.db.query(
        `INSERT INTO residents (town_id, village_id, household_id, name, gender, birth_year, card_code, id_hash, id_last4)
         SELECT $1, $2, $3, '热更新' || g, 'M', 1970, 'HOT' || lpad(g::text, 8, '0'), md5('hot' || g), '0000'
           FROM generate_series(1, $4) AS g RETURNING id`,
        [f.townId, f.villageA, hh.id, RESIDENTS],
      )
    ).map((r: { id: string }) => r.id);
    const ledger = stack.api.get(LedgerService);
    const month = (period: string): PostingRequest[] =>
      ids.flatMap((accountId) => [1, 2].map((points) => ({ accountId, kind: 'deed' as const, points, sourceRef: `entry:${randomUUID()}`, counterparty: `town:${f.townId}`, period })));

    // The first month opens the accounts (densely inserted pages, as a month end or a bulk load
    // writes them) and updates their heads in the same transaction; the second updates them again.
    for (const period of ['2026-01', '2026-02']) {
      const before = await counters();
      expect((await ledger.postBatch(month(period))).posted).toBe(2 * RESIDENTS);
      // Statistics reach pg_stat_user_tables when the backend goes idle (within a second or so).
      await waitFor(async () => (await counters()).upd - before.upd >= RESIDENTS, { timeoutMs: 10_000, description: 'the backend to report its updates' });
      const after = await counters();
      expect({ period, updates: after.upd - before.upd, hot: after.hot - before.hot }).toEqual({ period, updates: RESIDENTS, hot: RESIDENTS });
    }
    const [{ n }] = await stack.db.query(`SELECT count(*)::int AS n FROM accounts WHERE resident_id = ANY($1::uuid[]) AND balance = 6 AND seq = 4`, [ids]);
    expect(n).toBe(RESIDENTS);
  });
});
