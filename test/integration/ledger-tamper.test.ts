import type { PostingRequest } from '@app/ledger/ledger.types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { LedgerService } from '@app/ledger/ledger.service';
import { startStack, type TestStack } from '../support/app';
import { seedTown, type TownFixture } from '../support/fixtures';
import { spawnBuilt } from '../support/processes';

const PERIOD = `${new Date().getFullYear()}-06`;

/**
 * DESIGN.md §4.4. Needs the build (dist/src/database/cli.js) for the CLI part: scripts/test.sh
 * builds before the tests.
 */
describe('tamper evidence: a database superuser rewriting history is caught', () => {
  let stack: TestStack;
  let f: TownFixture;
  let ledger: LedgerService;
  let verifier: LedgerVerifier;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 3);
    ledger = stack.api.get(LedgerService);
    verifier = stack.api.get(LedgerVerifier);
    const reqs: PostingRequest[] = [];
    for (const id of f.residentsA) {
      for (let i = 0; i < 4; i++) reqs.push({ accountId: id, kind: 'deed', points: 5 + i, sourceRef: `entry:${id}:${i}`, counterparty: `town:${f.townId}`, period: PERIOD });
    }
    await ledger.postBatch(reqs);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const asSuperuser = async (sql: string, params: unknown[]) => {
    await stack.db.query(`ALTER TABLE postings DISABLE TRIGGER postings_append_only`);
    try {
      await stack.db.query(sql, params);
    } finally {
      await stack.db.query(`ALTER TABLE postings ENABLE TRIGGER postings_append_only`);
    }
  };

  it('an untouched ledger verifies', async () => {
    const report = await verifier.verifyTown(f.townId);
    expect(report).toMatchObject({ ok: true, accountsChecked: 3, postingsChecked: 12, broken: [] });
  });

  it('names the account and the exact seq of an updated and of a deleted posting; the CLI exits 1', async () => {
    const [changed, deleted, lastDeleted] = f.residentsA;
    await asSuperuser(`UPDATE postings SET points = 500 WHERE account_id = $1 AND seq = 2`, [changed]);
    await asSuperuser(`DELETE FROM postings WHERE account_id = $1 AND seq = 3`, [deleted]);
    await asSuperuser(`DELETE FROM postings WHERE account_id = $1 AND seq = 4`, [lastDeleted]);

    const report = await verifier.verifyTown(f.townId, { chunkSize: 5 });
    expect(report.ok).toBe(false);
    const byAccount = Object.fromEntries(report.broken.map((b) => [b.accountId, b]));
    expect(report.broken).toHaveLength(3);
    expect(byAccount[changed]).toMatchObject({ seq: 2, problem: 'hash_mismatch' });
    expect(byAccount[deleted]).toMatchObject({ seq: 3, problem: 'seq_gap', expected: 'seq 3', found: 'seq 4' });
    expect(byAccount[lastDeleted]).toMatchObject({ seq: 4, problem: 'seq_mismatch' });

    const cli = spawnBuilt('database/cli', ['verify-ledger', f.townId], { DATABASE_URL: stack.env.DATABASE_URL, LOG_LEVEL: 'silent' });
    const { code } = await cli.exited;
    expect(code).toBe(1);
    expect(cli.output()).toContain(`BROKEN account ${changed} seq 2: hash_mismatch`);
    expect(cli.output()).toContain(`BROKEN account ${deleted} seq 3: seq_gap`);
    expect(cli.output()).toContain(`BROKEN account ${lastDeleted} seq 4: seq_mismatch`);

    // The other town is untouched: verify-ledger for it succeeds.
    const clean = spawnBuilt('database/cli', ['verify-ledger', f.otherTownId], { DATABASE_URL: stack.env.DATABASE_URL, LOG_LEVEL: 'silent' });
    expect((await clean.exited).code).toBe(0);
    expect(clean.output()).toContain('ledger OK');
  });
});
