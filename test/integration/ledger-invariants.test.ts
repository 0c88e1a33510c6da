import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '@app/auth/principal';
import { AppError } from '@app/common/errors/app-error';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { CorrectionsService } from '@app/ledger/corrections.service';
import { LedgerService } from '@app/ledger/ledger.service';
import { YearEndService } from '@app/ledger/year-end.service';
import type { PostingRequest } from '@app/ledger/ledger.types';
import { startStack, type TestStack } from '../support/app';
import { seedTown, type TownFixture } from '../support/fixtures';

const PERIOD = `${new Date().getFullYear()}-06`;

async function newResidents(db: DataSource, f: TownFixture, n: number): Promise<string[]> {
  const [hh] = await db.query(`INSERT INTO households (town_id, village_id, code) VALUES ($1, $2, $3) RETURNING id`, [f.townId, f.villageA, `H${randomUUID().slice(0, 8)}`]);
  const rows: Array<{ id: string }> = await db.query(
    `INSERT INTO residents (town_id, village_id, household_id, name, gender, birth_year, card_code, id_hash, id_last4)
     SELECT $1, $2, $3, '测试' || g, 'M', 1970, 'C' || upper(substr(md5(random()::text), 1, 12)), md5(random()::text) || g, '0000'
       FROM generate_series(1, $4) g RETURNING id`,
    [f.townId, f.villageA, hh.id, n],
  );
  return rows.map((r) => r.id);
}

async function account(db: DataSource, id: string): Promise<{ balance: number; creditScore: number; seq: number; grade: string }> {
  const [a] = await db.query(`SELECT balance, credit_score AS "creditScore", seq, grade FROM accounts WHERE resident_id = $1`, [id]);
  return a;
}

async function postingsOf(db: DataSource, id: string): Promise<Array<{ seq: number; points: number; kind: string; sourceRef: string }>> {
  return db.query(`SELECT seq, points, kind, source_ref AS "sourceRef" FROM postings WHERE account_id = $1 ORDER BY seq`, [id]);
}

async function sqlState(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (err as { code?: string }).code;
  }
}

describe('ledger invariants (real PostgreSQL)', () => {
  let stack: TestStack;
  let f: TownFixture;
  let ledger: LedgerService;
  let corrections: CorrectionsService;
  let yearEnds: YearEndService;
  let verifier: LedgerVerifier;
  let adminCtx: RequestContext;
  const town = () => `town:${f.townId}`;
  const deed = (accountId: string, points: number, sourceRef = `entry:${randomUUID()}`): PostingRequest => ({
    accountId,
    kind: 'deed',
    points,
    sourceRef,
    counterparty: town(),
    period: PERIOD,
    itemCode: 'T01',
  });

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 2);
    ledger = stack.api.get(LedgerService);
    corrections = stack.api.get(CorrectionsService);
    yearEnds = stack.api.get(YearEndService);
    verifier = stack.api.get(LedgerVerifier);
    adminCtx = { principal: { kind: 'staff', id: f.users.town_admin.id, username: 'admin', role: 'town_admin', townId: f.townId, villageId: null, shopId: null }, requestId: 'test' };
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('PostgreSQL itself refuses UPDATE and DELETE of postings and corrections (55A01)', async () => {
    const [id] = await newResidents(stack.db, f, 1);
    const r = await ledger.postBatch([deed(id, 5)]);
    const postingId = r.postings[0].id;
    expect(await sqlState(stack.db.query(`UPDATE postings SET points = 500 WHERE id = $1`, [postingId]))).toBe('55A01');
    expect(await sqlState(stack.db.query(`DELETE FROM postings WHERE id = $1`, [postingId]))).toBe('55A01');
    const [c] = await stack.db.query(
      `INSERT INTO ledger_corrections (town_id, resident_id, original_posting_id, type, points, reason, created_by) VALUES ($1, $2, $3, 'amount', 1, 'x', $4) RETURNING id`,
      [f.townId, id, postingId, f.users.town_admin.id],
    );
    expect(await sqlState(stack.db.query(`UPDATE ledger_corrections SET points = 9 WHERE id = $1`, [c.id]))).toBe('55A01');
    expect(await sqlState(stack.db.query(`DELETE FROM ledger_corrections WHERE id = $1`, [c.id]))).toBe('55A01');
    const [p] = await stack.db.query(`SELECT points FROM postings WHERE id = $1`, [postingId]);
    expect(p.points).toBe(5);
  });

  it('opens the account on first posting, chains it from genesis and keeps the projection', async () => {
    const [id] = await newResidents(stack.db, f, 1);
    const r = await ledger.postBatch([deed(id, 7), deed(id, -3), { ...deed(id, 40), kind: 'opening_balance', sourceRef: `opening:${id}` }]);
    expect(r.posted).toBe(3);
    expect(r.postings.map((p) => p.seq)).toEqual([1, 2, 3]);
    expect(r.postings[0].prevHash).toBe('0'.repeat(64));
    expect(r.postings[1].prevHash).toBe(r.postings[0].hash);
    // Opening balance moves the balance only; deeds move both.
    expect(await account(stack.db, id)).toEqual({ balance: 44, creditScore: 1004, seq: 3, grade: 'A' });
    await expect(postingsOf(stack.db, id)).resolves.toHaveLength(3);
  });

  it('verification reads one snapshot: postings committed while it runs are not false alarms (invariant 4)', async () => {
    const ids = await newResidents(stack.db, f, 3);
    for (const id of ids) await ledger.postBatch([deed(id, 5), deed(id, 2)]);
    let postedMeanwhile = 0;
    const report = await verifier.verifyTown(f.townId, {
      chunkSize: 2,
      // Between reading the accounts and reading their postings, a shop and a finalize commit.
      afterAccountsRead: async () => {
        for (const id of ids) postedMeanwhile += (await ledger.postBatch([deed(id, 3), deed(id, -1)])).posted;
      },
    });
    expect(postedMeanwhile).toBe(6);
    expect(report.broken).toEqual([]);
    expect(report.ok).toBe(true);
    // And the next run sees them, chained.
    const after = await verifier.verifyTown(f.townId);
    expect(after.ok).toBe(true);
    expect(after.postingsChecked).toBe(report.postingsChecked + 6);
  });

  it('an account opened while a year end runs is not left behind in the old year', async () => {
    const year = Number(PERIOD.slice(0, 4));
    const [town] = await stack.db.query(`INSERT INTO towns (code, name) VALUES ($1, '年终镇') RETURNING id`, [`YE${randomUUID().slice(0, 6)}`]);
    const [village] = await stack.db.query(`INSERT INTO villages (town_id, code, name) VALUES ($1, 'Y1', '年终村') RETURNING id`, [town.id]);
    const here = { ...f, townId: town.id, villageA: village.id };
    const [old, late] = await newResidents(stack.db, here, 2);
    const at = (accountId: string, points: number): PostingRequest => ({ ...deed(accountId, points), counterparty: `town:${town.id}` });
    await ledger.postBatch([at(old, 5)]);
    // A posting that opens an account, held open while the year end starts.
    const runner = stack.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await ledger.postBatch([at(late, 3)], runner.manager);
      const yearEnd = yearEnds.runYearEnd(town.id, year);
      await new Promise((r) => setTimeout(r, 300));
      await runner.commitTransaction();
      expect((await yearEnd).accounts).toBe(2);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
    const years = await stack.db.query(`SELECT DISTINCT rating_year AS y FROM accounts WHERE town_id = $1`, [town.id]);
    expect(years).toEqual([{ y: year + 1 }]);
  });

  it('posts a source once when it is posted twice in a row or twice in one batch', async () => {
    const [id] = await newResidents(stack.db, f, 1);
    const req = deed(id, 10);
    expect((await ledger.postBatch([req])).posted).toBe(1);
    const again = await ledger.postBatch([req, deed(id, 1)]);
    expect(again).toMatchObject({ posted: 1, skipped: 1 });
    expect(again.skippedRequests[0].sourceRef).toBe(req.sourceRef);
    const inOne = await ledger.postBatch([deed(id, 2, 'entry:same'), deed(id, 2, 'entry:same')]);
    expect(inOne).toMatchObject({ posted: 1, skipped: 1 });
    expect((await postingsOf(stack.db, id)).map((p) => p.points)).toEqual([10, 1, 2]);
    expect((await account(stack.db, id)).balance).toBe(13);
  });

  it('two concurrent batches posting the same source leave exactly one posting (also when opening the account)', async () => {
    const ids = await newResidents(stack.db, f, 8);
    for (const id of ids) {
      const req = deed(id, 10);
      const results = await Promise.all([ledger.postBatch([req]), ledger.postBatch([req])]);
      expect(results.map((r) => r.posted).sort()).toEqual([0, 1]);
      const rows = await postingsOf(stack.db, id);
      expect(rows).toHaveLength(1);
      expect(await account(stack.db, id)).toMatchObject({ balance: 10, seq: 1, creditScore: 1010 });
    }
  });

  it('60 concurrent covered debits of 10 on a balance of 300: exactly 30 succeed, never below zero', async () => {
    const [id] = await newResidents(stack.db, f, 1);
    await ledger.postBatch([{ ...deed(id, 300), kind: 'opening_balance', sourceRef: `opening:${id}` }]);
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        ledger.postBatch([{ accountId: id, kind: 'redemption', points: -10, sourceRef: `redemption:${id}:${i}`, counterparty: `shop:${f.shopA}`, period: PERIOD, requireCovered: true }]),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(30);
    expect(refused).toHaveLength(30);
    for (const r of refused) expect((r.reason as AppError).code).toBe('LEDGER.INSUFFICIENT_POINTS');
    expect(await account(stack.db, id)).toMatchObject({ balance: 0, seq: 31, creditScore: 1000 });
    let running = 0;
    for (const p of await postingsOf(stack.db, id)) {
      running += p.points;
      expect(running).toBeGreaterThanOrEqual(0);
    }
  });

  it('a refused covered posting rolls back the whole batch', async () => {
    const [id, other] = await newResidents(stack.db, f, 2);
    await expect(
      ledger.postBatch([deed(other, 5), { accountId: id, kind: 'redemption', points: -1, sourceRef: `redemption:${randomUUID()}`, counterparty: `shop:${f.shopA}`, period: PERIOD, requireCovered: true }]),
    ).rejects.toMatchObject({ code: 'LEDGER.INSUFFICIENT_POINTS', details: { accountId: id, balance: 0, points: -1 } });
    expect(await postingsOf(stack.db, other)).toHaveLength(0);
    // A deduction (deed) may take the balance below zero.
    await ledger.postBatch([deed(id, -15)]);
    expect(await account(stack.db, id)).toMatchObject({ balance: -15, creditScore: 985 });
  });

  it('refuses to post to a resident that does not exist', async () => {
    const ghost = randomUUID();
    await expect(ledger.postBatch([deed(ghost, 1)])).rejects.toMatchObject({ code: 'LEDGER.ACCOUNT_NOT_FOUND', details: { accountIds: [ghost] } });
  });

  it('property: any sequence of deeds, redemptions, voids and corrections keeps balance = Σ postings and a verifiable chain', async () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('deed' as const), acct: fc.nat(2), points: fc.integer({ min: -20, max: 20 }) }),
      fc.record({ t: fc.constant('batch' as const), items: fc.array(fc.record({ acct: fc.nat(2), points: fc.integer({ min: -5, max: 30 }) }), { minLength: 1, maxLength: 6 }) }),
      fc.record({ t: fc.constant('redeem' as const), acct: fc.nat(2), points: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ t: fc.constant('void' as const), idx: fc.nat() }),
      fc.record({ t: fc.constant('reverse' as const), idx: fc.nat() }),
      fc.record({ t: fc.constant('amend' as const), idx: fc.nat(), points: fc.integer({ min: -10, max: 10 }).filter((n) => n !== 0) }),
      fc.record({ t: fc.constant('repost' as const), idx: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 15 }), async (ops) => {
        const accts = await newResidents(stack.db, f, 3);
        const balance = [0, 0, 0];
        const credit = [1000, 1000, 1000];
        const deeds: Array<{ postingId: string; acct: number; net: number; reversed: boolean }> = [];
        const redemptions: Array<{ ref: string; acct: number; points: number }> = [];
        const sent: PostingRequest[] = [];
        const postDeeds = async (items: Array<{ acct: number; points: number }>) => {
          const reqs = items.map((i) => deed(accts[i.acct], i.points));
          const r = await ledger.postBatch(reqs);
          r.postings.forEach((p, k) => deeds.push({ postingId: p.id, acct: items[k].acct, net: items[k].points, reversed: false }));
          items.forEach((i) => ((balance[i.acct] += i.points), (credit[i.acct] += i.points)));
          sent.push(...reqs);
        };
        for (const o of ops) {
          if (o.t === 'deed') await postDeeds([o]);
          else if (o.t === 'batch') await postDeeds(o.items);
          else if (o.t === 'redeem') {
            const req: PostingRequest = { accountId: accts[o.acct], kind: 'redemption', points: -o.points, sourceRef: `redemption:${randomUUID()}`, counterparty: `shop:${f.shopA}`, period: PERIOD, requireCovered: true };
            if (balance[o.acct] >= o.points) {
              await ledger.postBatch([req]);
              balance[o.acct] -= o.points;
              redemptions.push({ ref: req.sourceRef, acct: o.acct, points: o.points });
              sent.push(req);
            } else {
              await expect(ledger.postBatch([req])).rejects.toMatchObject({ code: 'LEDGER.INSUFFICIENT_POINTS' });
            }
          } else if (o.t === 'void' && redemptions.length) {
            const red = redemptions[o.idx % redemptions.length];
            const r = await ledger.postBatch([{ accountId: accts[red.acct], kind: 'redemption_void', points: red.points, sourceRef: `void:${red.ref}`, counterparty: `shop:${f.shopA}`, period: PERIOD }]);
            if (r.posted === 1) balance[red.acct] += red.points;
          } else if ((o.t === 'reverse' || o.t === 'amend') && deeds.length) {
            const d = deeds[o.idx % deeds.length];
            const dto = o.t === 'reverse' ? { postingId: d.postingId, type: 'reversal' as const, reason: '复核冲正' } : { postingId: d.postingId, type: 'amount' as const, points: o.points, reason: '复核调整' };
            if (d.reversed) {
              await expect(corrections.correct(adminCtx, dto)).rejects.toMatchObject({ code: 'LEDGER.ALREADY_REVERSED' });
            } else {
              const c = await corrections.correct(adminCtx, dto);
              const delta = o.t === 'reverse' ? -d.net : o.points;
              expect(c.points).toBe(delta);
              d.net += delta;
              d.reversed = o.t === 'reverse';
              balance[d.acct] += delta;
              credit[d.acct] += delta;
            }
          } else if (o.t === 'repost' && sent.length) {
            const r = await ledger.postBatch([sent[o.idx % sent.length]]);
            expect(r).toMatchObject({ posted: 0, skipped: 1 });
          }
        }
        for (let i = 0; i < 3; i++) {
          const rows = await postingsOf(stack.db, accts[i]);
          expect(rows.map((p) => p.seq)).toEqual(rows.map((_, k) => k + 1));
          const a = rows.length ? await account(stack.db, accts[i]) : { balance: 0, creditScore: 1000 };
          expect(a.balance).toBe(rows.reduce((s, p) => s + p.points, 0));
          expect(a.balance).toBe(balance[i]);
          expect(a.creditScore).toBe(credit[i]);
        }
        const report = await verifier.verifyTown(f.townId, { chunkSize: 7, accountsPerGroup: 2 });
        expect(report.broken).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });
});
