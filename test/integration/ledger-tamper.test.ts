import type { PostingRequest } from '@app/ledger/ledger.types';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSourceOptions } from '@app/database/data-source-options';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { LedgerRepository } from '@app/ledger/ledger.repository';
import { LedgerService } from '@app/ledger/ledger.service';
import { VerificationRepository } from '@app/ledger/verification.repository';
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

  it('the verifier’s own connection may wait in its transaction longer than the pool’s idle limit (worker threads read meanwhile)', async () => {
    // A pool whose sessions end after 300 ms idle in a transaction (production: 60 s), and a
    // verifier that waits 1 s between reading the accounts and the postings, as its connection
    // does while worker threads hash a large town.
    const options = dataSourceOptions(stack.env.DATABASE_URL, 2, 'verify-idle-test');
    const ds = new DataSource({ ...options, extra: { ...(options as { extra: object }).extra, idle_in_transaction_session_timeout: 300 } } as DataSourceOptions);
    await ds.initialize();
    try {
      const report = await new LedgerVerifier(new LedgerRepository(ds), new VerificationRepository(ds)).verifyTown(f.townId, { afterAccountsRead: () => new Promise((r) => setTimeout(r, 1000)) });
      expect(report).toMatchObject({ ok: true, accountsChecked: 3, postingsChecked: 12 });
    } finally {
      await ds.destroy();
    }
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

    // The same in worker threads (forced for this small town): each thread reads its own
    // partitions of accounts in the verifier's snapshot; the same accounts, the same seqs.
    const threaded = spawnBuilt('database/cli', ['verify-ledger', f.townId], {
      DATABASE_URL: stack.env.DATABASE_URL,
      LOG_LEVEL: 'silent',
      LEDGER_VERIFY_WORKERS: '2',
      LEDGER_VERIFY_WORKER_MIN_POSTINGS: '0',
    });
    expect((await threaded.exited).code).toBe(1);
    expect(threaded.output()).toContain('(2 worker threads)');
    expect(threaded.output()).toContain(`BROKEN account ${changed} seq 2: hash_mismatch`);
    expect(threaded.output()).toContain(`BROKEN account ${deleted} seq 3: seq_gap`);
    expect(threaded.output()).toContain(`BROKEN account ${lastDeleted} seq 4: seq_mismatch`);
    expect(threaded.output().match(/BROKEN account/g)).toHaveLength(3);

    // The other town is untouched: verify-ledger for it succeeds.
    const clean = spawnBuilt('database/cli', ['verify-ledger', f.otherTownId], { DATABASE_URL: stack.env.DATABASE_URL, LOG_LEVEL: 'silent' });
    expect((await clean.exited).code).toBe(0);
    expect(clean.output()).toContain('ledger OK');
    const cleanThreaded = spawnBuilt('database/cli', ['verify-ledger', f.otherTownId], {
      DATABASE_URL: stack.env.DATABASE_URL,
      LOG_LEVEL: 'silent',
      LEDGER_VERIFY_WORKERS: '2',
      LEDGER_VERIFY_WORKER_MIN_POSTINGS: '0',
    });
    expect((await cleanThreaded.exited).code).toBe(0);
    expect(cleanThreaded.output()).toContain('ledger OK');
  }, 240_000); // four CLI runs, each a fresh node process loading the app's modules: 13–17 s apiece at a load average of 27 on 2 cores
});
