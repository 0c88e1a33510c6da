import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { LedgerService } from '@app/ledger/ledger.service';
import { RedemptionRepository } from '@app/shop/redemption.repository';
import { RedemptionStatementRepository } from '@app/shop/redemption-statement.repository';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

/**
 * A redemption is one read and one self-committing statement (RedemptionStatementRepository.redeemInOneStatement);
 * what changed between the two is found by the statement itself, under its locks: an account that
 * moved on goes through the locking transaction, goods that changed are refused or retried, and in
 * every case nothing is written twice or half.
 */
describe('redemptions in one statement', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let key: string;
  let repo: RedemptionRepository;
  let n = 0;
  let original: RedemptionRepository['findBasket'];

  const cardOf = async (id: string) => (await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [id]))[0].card_code as string;
  const fund = (residentId: string, points: number) =>
    stack.api.get(LedgerService).postBatch([{ accountId: residentId, kind: 'opening_balance', points, sourceRef: `one-statement:${residentId}:${++n}`, counterparty: `town:${f.townId}`, period: '2026-01', memo: '测试' }]);
  async function goods(name: string, price: number, stock: number): Promise<string> {
    const g = await request(stack.http).post(`/api/v1/shops/${f.shopA}/goods`).set('authorization', t.shop_clerk).send({ name, unit: '件', pricePoints: price }).expect(201);
    await request(stack.http).post(`/api/v1/goods/${g.body.id}/stock`).set('authorization', t.shop_clerk).send({ kind: 'received', quantity: stock, reason: '进货' }).expect(200);
    return g.body.id;
  }
  const redeem = async (residentId: string, goodsId: string) =>
    request(stack.http).post('/api/v1/terminal/redemptions').set('x-api-key', key).send({ cardCode: await cardOf(residentId), lines: [{ goodsId, quantity: 1 }], idempotencyKey: `one-statement-${++n}` });
  /** Runs `between` after the redemption's read and before its write, as a concurrent change would. */
  const between = (work: () => Promise<unknown>) => {
    repo.findBasket = async (...args) => {
      const read = await original(...args);
      await work();
      return read;
    };
  };
  const written = async (residentId: string) =>
    (
      await stack.db.query(
        `SELECT (SELECT balance FROM accounts WHERE resident_id = $1) AS balance,
                (SELECT coalesce(sum(points), 0)::int FROM postings WHERE account_id = $1) AS sum,
                (SELECT count(*)::int FROM postings WHERE account_id = $1 AND kind = 'redemption') AS postings,
                (SELECT count(*)::int FROM redemptions WHERE resident_id = $1) AS receipts,
                (SELECT count(*)::int FROM notices WHERE resident_id = $1 AND kind = 'redemption') AS notices,
                (SELECT count(*)::int FROM audit_log WHERE action = 'redemption.create' AND summary->>'residentId' = $1::text) AS audits`,
        [residentId],
      )
    )[0] as { balance: number; sum: number; postings: number; receipts: number; notices: number; audits: number };

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 8);
    t = await bearers(stack.http, f);
    key = (await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', t.town_admin).send({ name: '收银台 1' }).expect(201)).body.apiKey;
    repo = stack.api.get(RedemptionRepository);
    original = repo.findBasket.bind(repo);
  });
  afterEach(() => {
    repo.findBasket = original;
    vi.restoreAllMocks();
  });
  afterAll(async () => stack?.close());

  it('writes posting, head, stock, receipt, notice and audit row without the locking transaction', async () => {
    const r = f.residentsA[0];
    await fund(r, 100);
    const g = await goods('酱油', 30, 5);
    const locking = vi.spyOn(stack.api.get(LedgerService), 'postOne');
    const res = await redeem(r, g);
    expect(res.status).toBe(201);
    expect(res.body.balanceAfter).toBe(70);
    expect(locking).not.toHaveBeenCalled();
    expect(await written(r)).toEqual({ balance: 70, sum: 70, postings: 1, receipts: 1, notices: 1, audits: 1 });
    expect((await stack.db.query(`SELECT stock FROM goods WHERE id = $1`, [g]))[0].stock).toBe(4);
  });

  it('an account that moved on between the read and the write goes through the locking path: right balance, one posting, an intact chain', async () => {
    const r = f.residentsA[1];
    await fund(r, 100);
    const g = await goods('食盐', 30, 5);
    const locking = vi.spyOn(stack.api.get(LedgerService), 'postOne');
    between(() => fund(r, 5));
    const res = await redeem(r, g);
    expect(res.status).toBe(201);
    expect(res.body.balanceAfter).toBe(75);
    expect(locking).toHaveBeenCalledTimes(1);
    expect(await written(r)).toEqual({ balance: 75, sum: 75, postings: 1, receipts: 1, notices: 1, audits: 1 });
    const report = await stack.api.get(LedgerVerifier).verifyTown(f.townId);
    expect(report.broken).toEqual([]);
  });

  it('an account whose projection changed without a posting (a year end, a regrade) goes through the locking path and keeps that change', async () => {
    const r = f.residentsA[5];
    await fund(r, 100);
    const g = await goods('火柴盒', 10, 5);
    const locking = vi.spyOn(stack.api.get(LedgerService), 'postOne');
    // As a year end does for an account without expiry: a new rating year and score, no posting.
    between(() => stack.db.query(`UPDATE accounts SET credit_score = credit_score + 7, rating_year = rating_year + 1 WHERE resident_id = $1`, [r]));
    const before = (await stack.db.query(`SELECT credit_score AS score, rating_year AS year FROM accounts WHERE resident_id = $1`, [r]))[0] as { score: number; year: number };
    const res = await redeem(r, g);
    expect(res.status).toBe(201);
    expect(locking).toHaveBeenCalledTimes(1);
    const after = (await stack.db.query(`SELECT credit_score AS score, rating_year AS year, balance FROM accounts WHERE resident_id = $1`, [r]))[0];
    expect(after).toEqual({ score: before.score + 7, year: before.year + 1, balance: 90 });
  });

  it('stock gone between the read and the write: OUT_OF_STOCK and nothing written, not even the posting', async () => {
    const r = f.residentsA[2];
    await fund(r, 100);
    const g = await goods('毛巾', 30, 1);
    between(() => stack.db.query(`UPDATE goods SET stock = 0 WHERE id = $1`, [g]));
    const res = await redeem(r, g);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('REDEMPTION.OUT_OF_STOCK');
    expect(await written(r)).toEqual({ balance: 100, sum: 100, postings: 0, receipts: 0, notices: 0, audits: 0 });
  });

  it('a price changed between the read and the write: tried again at the new price, sold once', async () => {
    const r = f.residentsA[3];
    await fund(r, 100);
    const g = await goods('肥皂', 30, 3);
    let once = false;
    between(async () => {
      if (once) return;
      once = true;
      await stack.db.query(`UPDATE goods SET price_points = 40 WHERE id = $1`, [g]);
    });
    const res = await redeem(r, g);
    expect(res.status).toBe(201);
    expect(res.body.totalPoints).toBe(40);
    expect(await written(r)).toEqual({ balance: 60, sum: 60, postings: 1, receipts: 1, notices: 1, audits: 1 });
    expect((await stack.db.query(`SELECT stock FROM goods WHERE id = $1`, [g]))[0].stock).toBe(2);
  });

  it('the statement itself refuses a stale head and short stock and writes nothing', async () => {
    const r = f.residentsA[4];
    await fund(r, 100);
    const g = await goods('牙刷', 10, 1);
    const basket = await repo.findBasket(await cardOf(r), f.shopA, [g]);
    const head = basket?.head;
    if (!head) throw new Error('no account head read');
    const ledger = stack.api.get(LedgerService);
    const attempt = (expectedSeq: number, quantity: number) => {
      const next = ledger.prepareOne({ ...head, seq: expectedSeq }, { accountId: r, kind: 'redemption', points: -10 * quantity, sourceRef: `redemption:${randomUUID()}`, counterparty: `shop:${f.shopA}`, period: '2026-01', requireCovered: true });
      return stack.api.get(RedemptionStatementRepository).redeemInOneStatement({
        id: randomUUID(), townId: f.townId, shopId: f.shopA, villageId: f.villageA, residentId: r, terminalId: randomUUID(), clerkId: null,
        receiptNo: `T-${++n}`, idempotencyKey: `k-${n}`, requestHash: 'h', lines: [{ goodsId: g, name: '牙刷', unit: '件', quantity, pricePoints: 10, points: 10 * quantity }],
        totalPoints: 10 * quantity, balanceAfter: next.balance, postingId: '', expectedSeq, read: head, posting: next.row, creditScore: next.creditScore, grade: next.grade, shopName: '超市', actor: 'test',
        audit: { townId: f.townId, actorType: 'system', actorId: null, actorRole: null, action: 'redemption.create', targetType: null, targetId: null, requestId: null, summary: null },
      });
    };
    expect(await attempt(head.seq - 1, 1)).toMatchObject({ head: false, postingId: null, createdAt: null });
    expect(await attempt(head.seq, 2)).toMatchObject({ head: true, stock: false, postingId: null, createdAt: null });
    expect(await written(r)).toEqual({ balance: 100, sum: 100, postings: 0, receipts: 0, notices: 0, audits: 0 });
    expect((await stack.db.query(`SELECT stock FROM goods WHERE id = $1`, [g]))[0].stock).toBe(1);
  });
});
