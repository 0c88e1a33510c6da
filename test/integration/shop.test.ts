import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskName } from '@app/common/mask-name';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { LedgerService } from '@app/ledger/ledger.service';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

describe('shop terminals: look up, redeem, void, reconcile', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let key: string;
  let card: (residentId: string) => Promise<string>;
  const term = (path: string) => `/api/v1/terminal${path}`;
  let nextKey = 0;
  const idem = () => `test-key-${++nextKey}-${Date.now()}`;

  async function goods(name: string, price: number, stock: number): Promise<string> {
    const g = await request(stack.http).post(`/api/v1/shops/${f.shopA}/goods`).set('authorization', t.shop_clerk).send({ name, unit: '件', pricePoints: price }).expect(201);
    if (stock) await request(stack.http).post(`/api/v1/goods/${g.body.id}/stock`).set('authorization', t.shop_clerk).send({ kind: 'received', quantity: stock, reason: '进货' }).expect(200);
    return g.body.id;
  }
  async function fund(residentId: string, points: number) {
    await stack.api.get(LedgerService).postBatch([{ accountId: residentId, kind: 'opening_balance', points, sourceRef: `opening:${residentId}`, counterparty: `town:${f.townId}`, period: '2026-01', memo: '测试期初' }]);
  }
  const redeem = (cardCode: string, lines: Array<{ goodsId: string; quantity: number }>, idempotencyKey = idem(), apiKey = key) =>
    request(stack.http).post(term('/redemptions')).set('x-api-key', apiKey).send({ cardCode, lines, idempotencyKey });
  const stockOf = async (id: string) => (await stack.db.query(`SELECT stock FROM goods WHERE id = $1`, [id]))[0].stock as number;
  const balanceOf = async (id: string) => (await stack.db.query(`SELECT balance FROM accounts WHERE resident_id = $1`, [id]))[0]?.balance as number;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 60);
    t = await bearers(stack.http, f);
    const created = await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', t.town_admin).send({ name: '收银台 1' }).expect(201);
    key = created.body.apiKey;
    card = async (id) => (await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [id]))[0].card_code;
  });
  afterAll(async () => stack?.close());

  it('looks a resident up by card: masked name, balance; refuses other villages, inactive and unknown cards', async () => {
    const r = f.residentsA[0];
    await fund(r, 100);
    const res = await request(stack.http).get(term(`/residents/${await card(r)}`)).set('x-api-key', key).expect(200);
    expect(res.body).toMatchObject({ name: maskName('测试0'), balance: 100, status: 'active' });
    expect(res.body.name).not.toBe('测试0');
    expect((await request(stack.http).get(term(`/residents/${await card(f.residentsB[0])}`)).set('x-api-key', key).expect(403)).body.code).toBe('REDEMPTION.RESIDENT_NOT_SERVED');
    expect((await request(stack.http).get(term(`/residents/${await card(f.residentsOther[0])}`)).set('x-api-key', key).expect(404)).body.code).toBe('REDEMPTION.RESIDENT_NOT_FOUND');
    expect((await request(stack.http).get(term('/residents/ZZZZZZ99')).set('x-api-key', key).expect(404)).body.code).toBe('REDEMPTION.RESIDENT_NOT_FOUND');
    expect((await request(stack.http).get(term('/residents/bad card')).set('x-api-key', key).expect(400)).body.code).toBe('VALIDATION.FAILED');
    await stack.db.query(`UPDATE residents SET status = 'deceased' WHERE id = $1`, [f.residentsA[59]]);
    expect((await request(stack.http).get(term(`/residents/${await card(f.residentsA[59])}`)).set('x-api-key', key).expect(409)).body.code).toBe('REDEMPTION.RESIDENT_NOT_ACTIVE');
  });

  it('unknown, malformed, missing or revoked API keys are 401', async () => {
    const path = term('/goods');
    expect((await request(stack.http).get(path).expect(401)).body.code).toBe('AUTH.INVALID_API_KEY');
    expect((await request(stack.http).get(path).set('x-api-key', 'nope').expect(401)).body.code).toBe('AUTH.INVALID_API_KEY');
    expect((await request(stack.http).get(path).set('x-api-key', key.slice(0, -2) + 'zz').expect(401)).body.code).toBe('AUTH.INVALID_API_KEY');
    const extra = await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', t.town_admin).send({ name: '临时' }).expect(201);
    await request(stack.http).get(path).set('x-api-key', extra.body.apiKey).expect(200);
    await request(stack.http).post(`/api/v1/terminals/${extra.body.id}/revoke`).set('authorization', t.town_admin).expect(200);
    expect((await request(stack.http).get(path).set('x-api-key', extra.body.apiKey).expect(401)).body.code).toBe('AUTH.INVALID_API_KEY');
    // A staff token is not a terminal key.
    expect((await request(stack.http).get(path).set('authorization', t.shop_clerk).expect(401)).body.code).toBe('AUTH.INVALID_API_KEY');
  });

  it('redeems: prices from the goods, takes stock and points in one go, prints a receipt', async () => {
    const r = f.residentsA[1];
    await fund(r, 50);
    const soap = await goods('肥皂', 4, 10);
    const powder = await goods('洗衣粉', 10, 10);
    const res = await redeem(await card(r), [{ goodsId: soap, quantity: 2 }, { goodsId: powder, quantity: 1 }]).expect(201);
    expect(res.body).toMatchObject({ totalPoints: 18, balanceAfter: 32, residentName: maskName('测试1'), voidedAt: null });
    expect(res.body.receiptNo).toMatch(/^S[0-9a-f]+-\d{8}-\d{6}$/);
    expect(res.body.lines).toEqual([
      { goodsId: soap, name: '肥皂', unit: '件', quantity: 2, pricePoints: 4, points: 8 },
      { goodsId: powder, name: '洗衣粉', unit: '件', quantity: 1, pricePoints: 10, points: 10 },
    ]);
    expect([await stockOf(soap), await stockOf(powder), await balanceOf(r)]).toEqual([8, 9, 32]);
    const [acc] = await stack.db.query(`SELECT credit_score FROM accounts WHERE resident_id = $1`, [r]);
    expect(acc.credit_score).toBe(1000); // redemptions never touch the credit score
    const byNo = await request(stack.http).get(term(`/receipts/${res.body.receiptNo}`)).set('x-api-key', key).expect(200);
    expect(byNo.body.totalPoints).toBe(18);
    const today = await request(stack.http).get(term('/redemptions/today')).set('x-api-key', key).expect(200);
    expect(today.body.map((x: { receiptNo: string }) => x.receiptNo)).toContain(res.body.receiptNo);
  });

  it('a retry with the same key and body returns the original receipt; a different body is 409', async () => {
    const r = f.residentsA[2];
    await fund(r, 30);
    const tea = await goods('茶叶', 10, 10);
    const k = idem();
    const first = await redeem(await card(r), [{ goodsId: tea, quantity: 1 }], k).expect(201);
    const again = await redeem(await card(r), [{ goodsId: tea, quantity: 1 }], k).expect(200);
    expect(again.body.receiptNo).toBe(first.body.receiptNo);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await redeem(await card(r), [{ goodsId: tea, quantity: 2 }], k).expect(409)).body.code).toBe('REDEMPTION.IDEMPOTENCY_CONFLICT');
    // Lost responses retried all at once still redeem once.
    const k2 = idem();
    const cardCode = await card(r);
    const burst = await Promise.all(Array.from({ length: 10 }, () => redeem(cardCode, [{ goodsId: tea, quantity: 1 }], k2)));
    expect(new Set(burst.map((b) => b.body.receiptNo)).size).toBe(1);
    expect(burst.every((b) => b.status === 201 || b.status === 200)).toBe(true);
    expect([await balanceOf(r), await stockOf(tea)]).toEqual([10, 8]);
  });

  it('a replay is the first receipt again: masked name, lines in the basket order; so is a reprint', async () => {
    const r = f.residentsA[7];
    await fund(r, 50);
    const [x, y] = [await goods('香皂', 3, 5), await goods('毛巾', 4, 5)].sort();
    const basket = [
      { goodsId: y, quantity: 2 },
      { goodsId: x, quantity: 1 },
    ]; // not in id order
    const k = idem();
    const first = await redeem(await card(r), basket, k).expect(201);
    expect(first.body.lines.map((l: { goodsId: string }) => l.goodsId)).toEqual([y, x]);
    expect(first.body.residentName).toBe(maskName('测试7'));
    const again = await redeem(await card(r), basket, k).expect(200);
    expect(again.body).toEqual(first.body);
    const reprint = await request(stack.http).get(term(`/receipts/${first.body.receiptNo}`)).set('x-api-key', key).expect(200);
    expect(reprint.body).toEqual(first.body);
  });

  it('a retry after the first spent the last points and took the last unit still returns the original receipt', async () => {
    const r = f.residentsA[40]; // outside the 10..30 the last-units test funds
    await fund(r, 10);
    const last = await goods('最后一包盐', 10, 1);
    const k = idem();
    const cardCode = await card(r);
    const first = await redeem(cardCode, [{ goodsId: last, quantity: 1 }], k).expect(201);
    expect([await balanceOf(r), await stockOf(last)]).toEqual([0, 0]);
    // The retry can no longer be paid nor stocked: it is still the same redemption, not a refusal.
    const again = await redeem(cardCode, [{ goodsId: last, quantity: 1 }], k).expect(200);
    expect(again.body.receiptNo).toBe(first.body.receiptNo);
    expect(again.headers['idempotent-replayed']).toBe('true');
    // A new key for the same basket is a new redemption, and is refused.
    expect((await redeem(cardCode, [{ goodsId: last, quantity: 1 }], idem()).expect(409)).body.code).toMatch(/^REDEMPTION\.(INSUFFICIENT_POINTS|OUT_OF_STOCK)$/);
    expect([await balanceOf(r), await stockOf(last)]).toEqual([0, 0]);
  });

  it('bad baskets are refused with stable codes, and nothing moves', async () => {
    const r = f.residentsA[3];
    await fund(r, 20);
    const cup = await goods('水杯', 5, 3);
    const gone = await goods('下架品', 1, 5);
    await request(stack.http).post(`/api/v1/goods/${gone}/deactivate`).set('authorization', t.shop_clerk).expect(200);
    const [other] = await stack.db.query(`INSERT INTO goods (town_id, shop_id, name, unit, price_points, stock) VALUES ($1, $2, '别家货', '件', 1, 9) RETURNING id`, [f.otherTownId, f.shopOther]);
    const c = await card(r);
    const before = await stack.db.query(`SELECT (SELECT count(*)::int FROM postings) AS p, (SELECT count(*)::int FROM stock_movements) AS s, (SELECT count(*)::int FROM redemptions) AS r`);
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ lines: [] }, 400, 'VALIDATION.FAILED'],
      [{ lines: [{ goodsId: cup, quantity: 0 }] }, 400, 'VALIDATION.FAILED'],
      [{ lines: [{ goodsId: cup, quantity: -1 }] }, 400, 'VALIDATION.FAILED'],
      [{ lines: [{ goodsId: cup, quantity: 1e6 }] }, 400, 'VALIDATION.FAILED'],
      [{ lines: [{ goodsId: cup, quantity: 1.5 }] }, 400, 'VALIDATION.FAILED'],
      [{ lines: [{ goodsId: cup, quantity: 1, pricePoints: 0 }] }, 400, 'VALIDATION.FAILED'],
      [{ lines: [{ goodsId: cup, quantity: 1 }], totalPoints: 1 }, 400, 'VALIDATION.FAILED'],
      [{ lines: [{ goodsId: cup, quantity: 1 }, { goodsId: cup, quantity: 1 }] }, 400, 'REDEMPTION.DUPLICATE_GOODS'],
      [{ lines: [{ goodsId: gone, quantity: 1 }] }, 409, 'REDEMPTION.GOODS_INACTIVE'],
      [{ lines: [{ goodsId: cup, quantity: 4 }] }, 409, 'REDEMPTION.OUT_OF_STOCK'],
      [{ lines: [{ goodsId: other.id, quantity: 1 }] }, 422, 'REDEMPTION.GOODS_NOT_FOUND'],
      [{ lines: [{ goodsId: '00000000-0000-4000-8000-000000000000', quantity: 1 }] }, 422, 'REDEMPTION.GOODS_NOT_FOUND'],
      [{ lines: [{ goodsId: cup, quantity: 1 }], cardCode: await card(f.residentsB[1]) }, 403, 'REDEMPTION.RESIDENT_NOT_SERVED'],
    ];
    for (const [body, status, code] of cases) {
      const res = await request(stack.http).post(term('/redemptions')).set('x-api-key', key).send({ cardCode: c, idempotencyKey: idem(), ...body });
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([status, code]);
    }
    await fund(f.residentsA[4], 4);
    const poor = await redeem(await card(f.residentsA[4]), [{ goodsId: cup, quantity: 1 }]).expect(409);
    expect(poor.body.code).toBe('REDEMPTION.INSUFFICIENT_POINTS');
    const after = await stack.db.query(`SELECT (SELECT count(*)::int FROM postings) AS p, (SELECT count(*)::int FROM stock_movements) AS s, (SELECT count(*)::int FROM redemptions) AS r`);
    expect(after[0]).toEqual({ ...before[0], p: before[0].p + 1 }); // only the opening balance posted above
    expect([await stockOf(cup), await balanceOf(r)]).toEqual([3, 20]);
  });

  it('200 parallel redemptions on a balance covering exactly 57: 57 succeed, the rest are refused, nothing overspent (invariant 3)', async () => {
    const r = f.residentsA[5];
    await fund(r, 570);
    const oil = await goods('食用油', 10, 1000);
    const c = await card(r);
    const results = await Promise.all(Array.from({ length: 200 }, () => redeem(c, [{ goodsId: oil, quantity: 1 }])));
    const codes = results.map((x) => (x.status === 201 ? 'ok' : x.body.code));
    expect(codes.filter((x) => x === 'ok')).toHaveLength(57);
    expect(codes.filter((x) => x === 'REDEMPTION.INSUFFICIENT_POINTS')).toHaveLength(143);
    // Each refusal reports the balance the ledger checked under the lock, which did not cover it.
    const refusals = results.filter((x) => x.body.code === 'REDEMPTION.INSUFFICIENT_POINTS').map((x) => x.body.details);
    expect(refusals.filter((d) => !(d.balance < d.total))).toEqual([]);
    expect([await balanceOf(r), await stockOf(oil)]).toEqual([0, 943]);
    const [sum] = await stack.db.query(`SELECT sum(points)::int AS s, min(seq) AS lo, max(seq) AS hi, count(*)::int AS n FROM postings WHERE account_id = $1`, [r]);
    expect(sum).toEqual({ s: 0, lo: 1, hi: 58, n: 58 });
    const report = await stack.api.get(LedgerVerifier).verifyTown(f.townId);
    expect(report.broken).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('parallel redemptions of the last units never take stock below zero', async () => {
    const last = await goods('最后几件', 1, 5);
    const buyers = f.residentsA.slice(10, 30);
    for (const b of buyers) await fund(b, 10);
    const cards = await Promise.all(buyers.map(card));
    const results = await Promise.all(cards.map((c) => redeem(c, [{ goodsId: last, quantity: 1 }])));
    const codes = results.map((x) => (x.status === 201 ? 'ok' : `${x.status} ${x.body.code}`)).sort();
    expect(codes).toEqual([...Array(5).fill('ok'), ...Array(15).fill('409 REDEMPTION.OUT_OF_STOCK')].sort());
    expect(await stockOf(last)).toBe(0);
    const [{ n }] = await stack.db.query(`SELECT count(*)::int AS n FROM postings WHERE kind = 'redemption' AND memo IN (SELECT receipt_no FROM redemptions r WHERE r.lines @> $1::jsonb)`, [JSON.stringify([{ goodsId: last }])]);
    expect(n).toBe(5);
  });

  it('voids the same day: points and stock come back, once; other shops and other days are refused', async () => {
    const r = f.residentsA[6];
    await fund(r, 40);
    const rice = await goods('大米', 20, 5);
    const sale = await redeem(await card(r), [{ goodsId: rice, quantity: 1 }]).expect(201);
    const v = await request(stack.http).post(term(`/redemptions/${sale.body.receiptNo}/void`)).set('x-api-key', key).send({ reason: '顾客退货' }).expect(200);
    expect(v.body.voidReason).toBe('顾客退货');
    expect([await balanceOf(r), await stockOf(rice)]).toEqual([40, 5]);
    const again = await request(stack.http).post(`/api/v1/shop-redemptions/${sale.body.receiptNo}/void`).set('authorization', t.shop_clerk).send({ reason: '再撤' }).expect(200);
    expect(again.body.voidReason).toBe('顾客退货');
    expect([await balanceOf(r), await stockOf(rice)]).toEqual([40, 5]);
    const voids = await stack.db.query(`SELECT count(*)::int AS n FROM postings WHERE kind = 'redemption_void' AND account_id = $1`, [r]);
    expect(voids[0].n).toBe(1);

    const otherKey = (await request(stack.http).post(`/api/v1/shops/${f.shopOther}/terminals`).set('authorization', t.other_town_admin).send({ name: '邻镇' }).expect(201)).body.apiKey;
    const sale2 = await redeem(await card(r), [{ goodsId: rice, quantity: 1 }]).expect(201);
    expect((await request(stack.http).post(term(`/redemptions/${sale2.body.receiptNo}/void`)).set('x-api-key', otherKey).send({ reason: 'x' }).expect(404)).body.code).toBe('REDEMPTION.NOT_FOUND');

    // A receipt from yesterday (written directly: redemptions are append-only, so no back-dating by UPDATE).
    const [old] = await stack.db.query(
      `INSERT INTO redemptions (town_id, shop_id, village_id, resident_id, terminal_id, receipt_no, idempotency_key, request_hash, lines, total_points, balance_after, posting_id, created_at)
       SELECT town_id, shop_id, village_id, resident_id, terminal_id, 'OLD-20200101-000001', 'old-key-0001', 'x', lines, total_points, balance_after, posting_id, now() - interval '2 days'
       FROM redemptions WHERE receipt_no = $1 RETURNING receipt_no`,
      [sale2.body.receiptNo],
    );
    expect((await request(stack.http).post(term(`/redemptions/${old.receipt_no}/void`)).set('x-api-key', key).send({ reason: '隔天' }).expect(409)).body.code).toBe('REDEMPTION.VOID_WINDOW_PASSED');
  });

  it('the same receipt number in two towns: each town reprints and voids its own receipt only', async () => {
    const r = f.residentsA[50];
    await fund(r, 50);
    const oil = await goods('花生油', 10, 5);
    const mine = await redeem(await card(r), [{ goodsId: oil, quantity: 1 }]).expect(201);
    expect(await balanceOf(r)).toBe(40);
    // The other town's sale, then a receipt of that town carrying this town's number (unique per town only).
    const otherKey = (await request(stack.http).post(`/api/v1/shops/${f.shopOther}/terminals`).set('authorization', t.other_town_admin).send({ name: '邻镇收银台' }).expect(201)).body.apiKey;
    const [og] = await stack.db.query(`INSERT INTO goods (town_id, shop_id, name, unit, price_points, stock) VALUES ($1, $2, '邻镇油', '件', 20, 5) RETURNING id`, [f.otherTownId, f.shopOther]);
    const o = f.residentsOther[0];
    await fund(o, 50);
    const theirs = await redeem(await card(o), [{ goodsId: og.id, quantity: 1 }], idem(), otherKey).expect(201);
    await stack.db.query(
      `INSERT INTO redemptions (town_id, shop_id, village_id, resident_id, terminal_id, receipt_no, idempotency_key, request_hash, lines, total_points, balance_after, posting_id)
       SELECT town_id, shop_id, village_id, resident_id, terminal_id, $2, 'same-receipt-no', request_hash, lines, total_points, balance_after, posting_id FROM redemptions WHERE receipt_no = $1`,
      [theirs.body.receiptNo, mine.body.receiptNo],
    );
    const reprint = (apiKey: string) => request(stack.http).get(term(`/receipts/${mine.body.receiptNo}`)).set('x-api-key', apiKey).expect(200);
    expect((await reprint(key)).body).toMatchObject({ totalPoints: 10, residentName: maskName('测试50'), voidedAt: null });
    expect((await reprint(otherKey)).body).toMatchObject({ totalPoints: 20, terminalName: '邻镇收银台', voidedAt: null });
    // The other town voids its receipt of that number; this town's stays as it was, then is voided by its own terminal.
    await request(stack.http).post(term(`/redemptions/${mine.body.receiptNo}/void`)).set('x-api-key', otherKey).send({ reason: '邻镇退货' }).expect(200);
    expect((await reprint(key)).body.voidedAt).toBeNull();
    expect((await reprint(otherKey)).body.voidReason).toBe('邻镇退货');
    expect(await balanceOf(r)).toBe(40);
    const v = await request(stack.http).post(term(`/redemptions/${mine.body.receiptNo}/void`)).set('x-api-key', key).send({ reason: '本镇退货' }).expect(200);
    expect(v.body).toMatchObject({ totalPoints: 10, voidReason: '本镇退货' });
    expect([await balanceOf(r), await stockOf(oil)]).toEqual([50, 5]);
  });

  it('goods management and daily reconciliation', async () => {
    const pen = await goods('笔', 2, 3);
    const wo = await request(stack.http).post(`/api/v1/goods/${pen}/stock`).set('authorization', t.shop_clerk).send({ kind: 'written_off', quantity: 4, reason: '损坏' }).expect(409);
    expect(wo.body.code).toBe('GOODS.STOCK_NEGATIVE');
    const low = await request(stack.http).get(`/api/v1/shops/${f.shopA}/goods/low-stock`).query({ threshold: 3 }).set('authorization', t.shop_clerk).expect(200);
    expect(low.body.map((g: { id: string }) => g.id)).toContain(pen);
    expect((await request(stack.http).get(`/api/v1/shops/${f.shopOther}/goods`).set('authorization', t.shop_clerk).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect((await request(stack.http).post(`/api/v1/shops/${f.shopA}/goods`).set('authorization', t.village_clerk).send({ name: 'x', unit: '件', pricePoints: 1 }).expect(403)).body.code).toBe('AUTH.FORBIDDEN');

    const day = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const rec = await request(stack.http).get(`/api/v1/shops/${f.shopA}/reconciliation`).query({ from: day, to: day }).set('authorization', t.auditor).expect(200);
    const [{ redeemed, voided }] = await stack.db.query(
      `SELECT (SELECT coalesce(sum(total_points), 0)::int FROM redemptions WHERE shop_id = $1 AND receipt_no NOT LIKE 'OLD-%') AS redeemed,
              (SELECT coalesce(sum(r.total_points), 0)::int FROM redemptions r JOIN redemption_voids v ON v.redemption_id = r.id WHERE r.shop_id = $1) AS voided`,
      [f.shopA],
    );
    expect(rec.body.totals).toEqual({ points: redeemed, voidedPoints: voided, netPoints: redeemed - voided });
    const csv = await request(stack.http).get(`/api/v1/shops/${f.shopA}/reconciliation`).query({ from: day, to: day, format: 'csv' }).set('authorization', t.town_admin).expect(200);
    expect(csv.text.replace(/^\uFEFF/, '').split('\n')[0]).toContain('兑换积分');
    expect((await request(stack.http).get(`/api/v1/shops/${f.shopA}/reconciliation`).query({ from: day, to: '2099-01-01' }).set('authorization', t.auditor).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await request(stack.http).get(`/api/v1/shops/${f.shopA}/reconciliation`).query({ from: 'x', to: day }).set('authorization', t.auditor).expect(400)).body.code).toBe('VALIDATION.FAILED');
  });
});
