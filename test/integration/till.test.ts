import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskName } from '@app/common/mask-name';
import { LedgerService } from '@app/ledger/ledger.service';
import { startStack, type TestStack } from '../support/app';
import { bearer, bearers, FIXTURE_PASSWORD, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

/** The browser till's API: pairing by code, the clerk at the till, goods codes/barcodes, counts, the day's sales. */
describe('till: pairing, clerk at the terminal, goods and the day', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let http: TestStack['http'];
  const api = (p: string) => `/api/v1${p}`;
  let seq = 0;
  const idem = () => `till-test-${++seq}-${Date.now()}`;

  async function pairingCode(name = '收银台', shopId = f.shopA): Promise<string> {
    return (await request(http).post(api(`/shops/${shopId}/terminal-pairings`)).set('authorization', t.town_admin).send({ terminalName: name }).expect(201)).body.code;
  }
  async function pairedKey(name = '收银台'): Promise<string> {
    return (await request(http).post(api('/terminals/pair')).send({ code: await pairingCode(name) }).expect(200)).body.apiKey;
  }
  async function goods(body: Record<string, unknown>, stock = 10): Promise<string> {
    const g = await request(http).post(api(`/shops/${f.shopA}/goods`)).set('authorization', t.shop_clerk).send({ unit: '件', ...body }).expect(201);
    if (stock) await request(http).post(api(`/goods/${g.body.id}/stock`)).set('authorization', t.shop_clerk).send({ kind: 'received', quantity: stock, reason: '进货' }).expect(200);
    return g.body.id;
  }
  const fund = (residentId: string, points: number) =>
    stack.api.get(LedgerService).postBatch([{ accountId: residentId, kind: 'opening_balance', points, sourceRef: `opening:${residentId}`, counterparty: `town:${f.townId}`, period: '2026-01', memo: '测试期初' }]);
  const card = async (id: string) => (await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [id]))[0].card_code as string;
  const stockOf = async (id: string) => (await stack.db.query(`SELECT stock FROM goods WHERE id = $1`, [id]))[0].stock as number;
  const balanceOf = async (id: string) => (await stack.db.query(`SELECT balance FROM accounts WHERE resident_id = $1`, [id]))[0]?.balance as number;

  beforeAll(async () => {
    stack = await startStack();
    http = stack.http;
    f = await seedTown(stack.db, 20);
    t = await bearers(http, f);
  });
  afterAll(async () => stack?.close());

  describe('pairing', () => {
    it('a town admin makes a one-time code; the till pairs with it (any case, spaces) and learns who it is', async () => {
      const made = await request(http).post(api(`/shops/${f.shopA}/terminal-pairings`)).set('authorization', t.town_admin).send({ terminalName: '东村收银台 1' }).expect(201);
      expect(made.body.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      const ttl = Date.parse(made.body.expiresAt) - Date.now();
      expect(ttl).toBeGreaterThan(9 * 60_000);
      expect(ttl).toBeLessThanOrEqual(10 * 60_000 + 5_000);
      // Only a hash is kept.
      const [row] = await stack.db.query(`SELECT code_hash FROM terminal_pairings WHERE id = $1`, [made.body.id]);
      expect(row.code_hash).not.toContain(made.body.code.replace('-', ''));
      expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);

      const typed = ` ${made.body.code.toLowerCase().replace('-', ' ')} `;
      const paired = await request(http).post(api('/terminals/pair')).send({ code: typed }).expect(200);
      expect(paired.body.apiKey).toMatch(/^xt_[0-9a-f]{12}_/);
      expect(paired.body.terminal).toMatchObject({ name: '东村收银台 1', requiresClerk: true, shop: { id: f.shopA, name: '信义超市' }, clerk: null });
      expect(paired.body.terminal.villages).toEqual([{ id: f.villageA, name: '东村' }]);

      const me = await request(http).get(api('/terminal/me')).set('x-api-key', paired.body.apiKey).expect(200);
      expect(me.body).toEqual(paired.body.terminal);
      const [audit] = await stack.db.query(`SELECT actor_type, actor_id, summary FROM audit_log WHERE action = 'terminal.pair' AND target_id = $1`, [paired.body.terminal.id]);
      expect(audit).toMatchObject({ actor_type: 'terminal', actor_id: paired.body.terminal.id, summary: { pairingId: made.body.id, shopId: f.shopA } });
    });

    it('a code works once; unknown, malformed and expired codes are refused with their own codes', async () => {
      const code = await pairingCode();
      await request(http).post(api('/terminals/pair')).send({ code }).expect(200);
      expect((await request(http).post(api('/terminals/pair')).send({ code }).expect(409)).body.code).toBe('TERMINAL.PAIRING_CODE_USED');
      expect((await request(http).post(api('/terminals/pair')).send({ code: '0000-0000' }).expect(400)).body.code).toBe('TERMINAL.PAIRING_CODE_INVALID');
      expect((await request(http).post(api('/terminals/pair')).send({ code: 'ABC' }).expect(400)).body.code).toBe('TERMINAL.PAIRING_CODE_INVALID');
      expect((await request(http).post(api('/terminals/pair')).send({}).expect(400)).body.code).toBe('VALIDATION.FAILED');
      const old = await request(http).post(api(`/shops/${f.shopA}/terminal-pairings`)).set('authorization', t.town_admin).send({ terminalName: '过期' }).expect(201);
      await stack.db.query(`UPDATE terminal_pairings SET expires_at = now() - interval '1 second' WHERE id = $1`, [old.body.id]);
      const expired = await request(http).post(api('/terminals/pair')).send({ code: old.body.code }).expect(410);
      expect(expired.body).toMatchObject({ code: 'TERMINAL.PAIRING_CODE_EXPIRED', message: expect.stringContaining('过期') });
      expect((await stack.db.query(`SELECT count(*)::int AS n FROM terminals WHERE name = '过期'`))[0].n).toBe(0);
    });

    it('two tills typing the same code at once: one pairs, the other is told it was used', async () => {
      const code = await pairingCode('并发');
      const both = await Promise.all([0, 1].map(() => request(http).post(api('/terminals/pair')).send({ code })));
      expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
      expect((await stack.db.query(`SELECT count(*)::int AS n FROM terminals WHERE name = '并发'`))[0].n).toBe(1);
    });

    it('only for shops in scope: another town’s admin cannot make a code for this shop; bad input is 400', async () => {
      expect((await request(http).post(api(`/shops/${f.shopA}/terminal-pairings`)).set('authorization', t.other_town_admin).send({ terminalName: 'x' }).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await request(http).post(api(`/shops/${f.shopA}/terminal-pairings`)).set('authorization', t.town_admin).send({ terminalName: '' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
      expect((await request(http).post(api('/shops/00000000-0000-4000-8000-000000000999/terminal-pairings')).set('authorization', t.town_admin).send({ terminalName: 'x' }).expect(404)).body.code).toBe('SHOP.NOT_FOUND');
    });
  });

  describe('the clerk at a paired till', () => {
    let key: string;
    let otherShopClerk: string;
    beforeAll(async () => {
      key = await pairedKey('店员测试');
      // A clerk of another shop of the same town.
      const shopB = await request(http).post(api('/shops')).set('authorization', t.town_admin).send({ code: `B${seq++}`, name: '西村信义超市', villageIds: [f.villageB] }).expect(201);
      const username = `clerk-b-${Date.now()}`;
      await request(http).post(api('/staff')).set('authorization', t.town_admin).send({ username, displayName: '西村店员', password: FIXTURE_PASSWORD, role: 'shop_clerk', shopId: shopB.body.id }).expect(201);
      otherShopClerk = await bearer(http, username);
    });

    it('every till request but "who am I" needs a signed-in clerk of the shop', async () => {
      expect((await request(http).get(api('/terminal/goods')).set('x-api-key', key).expect(401)).body.code).toBe('TERMINAL.CLERK_REQUIRED');
      await request(http).get(api('/terminal/goods')).set('x-api-key', key).set('authorization', t.shop_clerk).expect(200);
      const me = await request(http).get(api('/terminal/me')).set('x-api-key', key).set('authorization', t.shop_clerk).expect(200);
      expect(me.body.clerk).toEqual({ id: f.users.shop_clerk.id, username: f.users.shop_clerk.username, displayName: f.users.shop_clerk.username });
      expect((await request(http).get(api('/terminal/goods')).set('x-api-key', key).set('authorization', otherShopClerk).expect(403)).body).toMatchObject({ code: 'AUTH.OUT_OF_SCOPE', message: expect.stringContaining('不是本终端所属超市的店员') });
      expect((await request(http).get(api('/terminal/goods')).set('x-api-key', key).set('authorization', t.town_admin).expect(403)).body).toMatchObject({ code: 'AUTH.OUT_OF_SCOPE', message: expect.stringContaining('不是本终端所属超市的店员') });
      expect((await request(http).get(api('/terminal/goods')).set('x-api-key', key).set('authorization', 'Bearer nope').expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
      // A terminal made with a key (no pairing) works on its own, as before.
      const plain = (await request(http).post(api(`/shops/${f.shopA}/terminals`)).set('authorization', t.town_admin).send({ name: '自助机' }).expect(201)).body.apiKey;
      await request(http).get(api('/terminal/goods')).set('x-api-key', plain).expect(200);
    });

    it('a deactivated clerk stops selling at once', async () => {
      const username = `clerk-gone-${Date.now()}`;
      const made = await request(http).post(api('/staff')).set('authorization', t.town_admin).send({ username, displayName: '离职店员', password: FIXTURE_PASSWORD, role: 'shop_clerk', shopId: f.shopA }).expect(201);
      const token = await bearer(http, username);
      await request(http).get(api('/terminal/goods')).set('x-api-key', key).set('authorization', token).expect(200);
      await request(http).post(api(`/staff/${made.body.id}/deactivate`)).set('authorization', t.town_admin).expect(200);
      expect((await request(http).get(api('/terminal/goods')).set('x-api-key', key).set('authorization', token).expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
    });

    it('revoking the terminal stops the till at once', async () => {
      const k = await pairedKey('将吊销');
      const me = await request(http).get(api('/terminal/me')).set('x-api-key', k).expect(200);
      await request(http).get(api('/terminal/goods')).set('x-api-key', k).set('authorization', t.shop_clerk).expect(200);
      await request(http).post(api(`/terminals/${me.body.id}/revoke`)).set('authorization', t.town_admin).expect(200);
      expect((await request(http).get(api('/terminal/me')).set('x-api-key', k).expect(401)).body.code).toBe('AUTH.INVALID_API_KEY');
      expect((await request(http).get(api('/terminal/goods')).set('x-api-key', k).set('authorization', t.shop_clerk).expect(401)).body.code).toBe('AUTH.INVALID_API_KEY');
    });

    it('a redemption records terminal and clerk: on the receipt, its replay, its row and the audit log; so does a void', async () => {
      const r = f.residentsA[0];
      await fund(r, 40);
      const soap = await goods({ name: '肥皂(店员)', pricePoints: 4 });
      const k = idem();
      const body = { cardCode: await card(r), lines: [{ goodsId: soap, quantity: 2 }], idempotencyKey: k };
      const sold = await request(http).post(api('/terminal/redemptions')).set('x-api-key', key).set('authorization', t.shop_clerk).send(body).expect(201);
      expect(sold.body).toMatchObject({ totalPoints: 8, balanceAfter: 32, shopName: '信义超市', terminalName: '店员测试', clerkName: f.users.shop_clerk.username, residentName: maskName('测试0') });
      const again = await request(http).post(api('/terminal/redemptions')).set('x-api-key', key).set('authorization', t.shop_clerk).send(body).expect(200);
      expect(again.body).toEqual(sold.body);
      const reprint = await request(http).get(api(`/terminal/receipts/${sold.body.receiptNo}`)).set('x-api-key', key).set('authorization', t.shop_clerk).expect(200);
      expect(reprint.body).toEqual(sold.body);
      const [row] = await stack.db.query(`SELECT id, clerk_id, terminal_id FROM redemptions WHERE receipt_no = $1`, [sold.body.receiptNo]);
      expect(row.clerk_id).toBe(f.users.shop_clerk.id);
      const log = await request(http).get(api('/audit/log')).query({ action: 'redemption.create', targetId: row.id }).set('authorization', t.auditor).expect(200);
      const entries = log.body.items ?? log.body;
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actorType: 'terminal', actorId: row.terminal_id, summary: { receiptNo: sold.body.receiptNo, terminalId: row.terminal_id, terminalName: '店员测试', clerkId: f.users.shop_clerk.id, clerkName: f.users.shop_clerk.username } });

      const voided = await request(http).post(api(`/terminal/redemptions/${sold.body.receiptNo}/void`)).set('x-api-key', key).set('authorization', t.shop_clerk).send({ reason: '顾客退货' }).expect(200);
      expect(voided.body.voidReason).toBe('顾客退货');
      expect([await balanceOf(r), await stockOf(soap)]).toEqual([40, 10]);
      const [v] = await stack.db.query(`SELECT actor, terminal_id FROM redemption_voids WHERE redemption_id = $1`, [row.id]);
      expect(v).toEqual({ actor: `staff:${f.users.shop_clerk.id}`, terminal_id: row.terminal_id });
      const [va] = await stack.db.query(`SELECT actor_id, summary FROM audit_log WHERE action = 'redemption.void' AND target_id = $1`, [row.id]);
      expect(va).toMatchObject({ actor_id: row.terminal_id, summary: { terminalId: row.terminal_id, clerkId: f.users.shop_clerk.id, reason: '顾客退货' } });
    });

    it('a terminal without a clerk still records itself as the actor', async () => {
      const plain = (await request(http).post(api(`/shops/${f.shopA}/terminals`)).set('authorization', t.town_admin).send({ name: '无人值守' }).expect(201)).body;
      const r = f.residentsA[1];
      await fund(r, 10);
      const pen = await goods({ name: '笔(自助)', pricePoints: 1 });
      const sold = await request(http).post(api('/terminal/redemptions')).set('x-api-key', plain.apiKey).send({ cardCode: await card(r), lines: [{ goodsId: pen, quantity: 1 }], idempotencyKey: idem() }).expect(201);
      expect(sold.body).toMatchObject({ clerkName: null, terminalName: '无人值守' });
      const [a] = await stack.db.query(`SELECT actor_type, actor_id FROM audit_log WHERE action = 'redemption.create' AND summary->>'receiptNo' = $1`, [sold.body.receiptNo]);
      expect(a).toEqual({ actor_type: 'terminal', actor_id: plain.id });
    });
  });

  describe('goods: codes, barcodes, search, price changes, counts, low stock', () => {
    let key: string;
    const till = (path: string) => request(http).get(api(`/terminal${path}`)).set('x-api-key', key).set('authorization', t.shop_clerk);
    beforeAll(async () => {
      key = await pairedKey('商品测试');
    });

    it('goods may carry a code and a barcode, unique in the shop; search finds by name, code (any case) or barcode', async () => {
      const id = await goods({ name: '金龙鱼食用油 5L', pricePoints: 60, code: 'OIL5', barcode: ' 6901234567892 ' });
      const [g] = (await till('/goods').query({ q: '6901234567892' }).expect(200)).body;
      expect(g).toMatchObject({ id, code: 'OIL5', barcode: '6901234567892', stock: 10 });
      expect((await till('/goods').query({ q: 'oil5' }).expect(200)).body.map((x: { id: string }) => x.id)).toEqual([id]);
      expect((await till('/goods').query({ q: '食用油' }).expect(200)).body.map((x: { id: string }) => x.id)).toEqual([id]);
      expect((await till('/goods').query({ q: '690123' }).expect(200)).body).toEqual([]); // a barcode is matched whole
      expect((await till('/goods').query({ q: '%' }).expect(200)).body).toEqual([]); // no wildcard through the search
      const staffList = await request(http).get(api(`/shops/${f.shopA}/goods`)).query({ q: '金龙鱼' }).set('authorization', t.shop_clerk).expect(200);
      expect(staffList.body.map((x: { id: string }) => x.id)).toEqual([id]);

      const dupBarcode = await request(http).post(api(`/shops/${f.shopA}/goods`)).set('authorization', t.shop_clerk).send({ name: '另一种油', unit: '桶', pricePoints: 50, barcode: '6901234567892' }).expect(409);
      expect(dupBarcode.body).toMatchObject({ code: 'GOODS.BARCODE_TAKEN', message: expect.stringContaining('条码') });
      expect((await request(http).post(api(`/shops/${f.shopA}/goods`)).set('authorization', t.shop_clerk).send({ name: '另一种油', unit: '桶', pricePoints: 50, code: 'OIL5' }).expect(409)).body.code).toBe('GOODS.CODE_TAKEN');
      // Another shop may use the same barcode.
      await stack.db.query(`INSERT INTO goods (town_id, shop_id, name, unit, price_points, barcode) VALUES ($1, $2, '邻镇的油', '桶', 1, '6901234567892')`, [f.otherTownId, f.shopOther]);
      expect((await request(http).post(api(`/shops/${f.shopA}/goods`)).set('authorization', t.shop_clerk).send({ name: '坏条码', unit: '个', pricePoints: 1, barcode: '69 01' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
      expect((await till('/goods').query({ q: '' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    });

    it('a price change applies to the next sale; code and barcode can be cleared; other fields stay', async () => {
      const id = await goods({ name: '酱油', pricePoints: 8, barcode: '6900000000011' });
      const changed = await request(http).patch(api(`/goods/${id}`)).set('authorization', t.shop_clerk).send({ pricePoints: 9, barcode: null }).expect(200);
      expect(changed.body).toMatchObject({ name: '酱油', pricePoints: 9, barcode: null, stock: 10, active: true });
      const r = f.residentsA[5];
      await fund(r, 20);
      const sold = await request(http).post(api('/terminal/redemptions')).set('x-api-key', key).set('authorization', t.shop_clerk).send({ cardCode: await card(r), lines: [{ goodsId: id, quantity: 2 }], idempotencyKey: idem() }).expect(201);
      expect(sold.body.totalPoints).toBe(18);
      const [a] = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'goods.update' AND target_id = $1`, [id]);
      expect(a.summary).toEqual({ before: { pricePoints: 8, barcode: '6900000000011' }, after: { pricePoints: 9, barcode: null } });
      // Off sale and back.
      expect((await request(http).patch(api(`/goods/${id}`)).set('authorization', t.shop_clerk).send({ active: false }).expect(200)).body.active).toBe(false);
      expect((await request(http).patch(api(`/goods/${id}`)).set('authorization', t.shop_clerk).send({ active: true }).expect(200)).body.active).toBe(true);
      // Bad input, unknown goods, another town's goods.
      expect((await request(http).patch(api(`/goods/${id}`)).set('authorization', t.shop_clerk).send({ pricePoints: 0 }).expect(400)).body.code).toBe('VALIDATION.FAILED');
      expect((await request(http).patch(api(`/goods/${id}`)).set('authorization', t.shop_clerk).send({ stock: 100 }).expect(400)).body.code).toBe('VALIDATION.FAILED');
      expect((await request(http).patch(api('/goods/00000000-0000-4000-8000-000000000999')).set('authorization', t.shop_clerk).send({ pricePoints: 2 }).expect(404)).body.code).toBe('GOODS.NOT_FOUND');
      const [other] = await stack.db.query(`SELECT id FROM goods WHERE shop_id = $1 LIMIT 1`, [f.shopOther]);
      expect((await request(http).patch(api(`/goods/${other.id}`)).set('authorization', t.shop_clerk).send({ pricePoints: 2 }).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    });

    it('a stock count sets the stock to what was counted and records the difference with its reason', async () => {
      const id = await goods({ name: '面粉', pricePoints: 15 }, 10);
      const counted = await request(http).post(api(`/goods/${id}/stock-count`)).set('authorization', t.shop_clerk).send({ counted: 7, reason: '月末盘点，受潮 3 袋' }).expect(200);
      expect(counted.body).toMatchObject({ before: 10, after: 7, delta: -3, goods: { id, stock: 7 } });
      const same = await request(http).post(api(`/goods/${id}/stock-count`)).set('authorization', t.shop_clerk).send({ counted: 7, reason: '复盘' }).expect(200);
      expect(same.body.delta).toBe(0);
      const moves = await stack.db.query(`SELECT kind, quantity, reason, actor FROM stock_movements WHERE goods_id = $1 AND kind = 'counted' ORDER BY id`, [id]);
      expect(moves).toEqual([
        { kind: 'counted', quantity: -3, reason: '月末盘点，受潮 3 袋', actor: `staff:${f.users.shop_clerk.id}` },
        { kind: 'counted', quantity: 0, reason: '复盘', actor: `staff:${f.users.shop_clerk.id}` },
      ]);
      expect(await stockOf(id)).toBe(7);
      for (const bad of [{ counted: -1, reason: 'x' }, { counted: 3 }, { counted: 1.5, reason: 'x' }, { counted: 3, reason: '' }]) {
        expect((await request(http).post(api(`/goods/${id}/stock-count`)).set('authorization', t.shop_clerk).send(bad).expect(400)).body.code).toBe('VALIDATION.FAILED');
      }
      const [other] = await stack.db.query(`SELECT id FROM goods WHERE shop_id = $1 LIMIT 1`, [f.shopOther]);
      expect((await request(http).post(api(`/goods/${other.id}/stock-count`)).set('authorization', t.shop_clerk).send({ counted: 1, reason: 'x' }).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      // Counted down to 2: on the low-stock list.
      await request(http).post(api(`/goods/${id}/stock-count`)).set('authorization', t.shop_clerk).send({ counted: 2, reason: '再盘' }).expect(200);
      const low = await request(http).get(api(`/shops/${f.shopA}/goods/low-stock`)).query({ threshold: 2 }).set('authorization', t.shop_clerk).expect(200);
      expect(low.body.map((g: { id: string }) => g.id)).toContain(id);
      expect(low.body.every((g: { stock: number }) => g.stock <= 2)).toBe(true);
    });
  });

  describe('the day at the till', () => {
    it('today’s sales of the shop with totals, and the day’s reconciliation: what the town owes the shop', async () => {
      const key = await pairedKey('日结');
      const second = await pairedKey('日结 2');
      const sell = (k: string, cardCode: string, goodsId: string, quantity: number) =>
        request(http).post(api('/terminal/redemptions')).set('x-api-key', k).set('authorization', t.shop_clerk).send({ cardCode, lines: [{ goodsId, quantity }], idempotencyKey: idem() }).expect(201);
      const before = (await request(http).get(api('/terminal/sales/today')).set('x-api-key', key).set('authorization', t.shop_clerk).expect(200)).body;
      const rice = await goods({ name: '大米(日结)', pricePoints: 5 }, 20);
      const r = f.residentsA[10];
      await fund(r, 100);
      const a = await sell(key, await card(r), rice, 2);
      const b = await sell(second, await card(r), rice, 3);
      await request(http).post(api(`/terminal/redemptions/${a.body.receiptNo}/void`)).set('x-api-key', key).set('authorization', t.shop_clerk).send({ reason: '错刷' }).expect(200);

      const today = (await request(http).get(api('/terminal/sales/today')).set('x-api-key', key).set('authorization', t.shop_clerk).expect(200)).body;
      expect(today.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(today.count - before.count).toBe(2);
      expect(today.totalPoints - before.totalPoints).toBe(25);
      expect(today.voidedCount - before.voidedCount).toBe(1);
      expect(today.voidedPoints - before.voidedPoints).toBe(10);
      expect(today.netPoints).toBe(today.totalPoints - today.voidedPoints);
      // Both terminals' receipts, newest first, each saying where it was made.
      expect(today.receipts.slice(0, 2).map((x: { receiptNo: string; terminalName: string }) => [x.receiptNo, x.terminalName])).toEqual([
        [b.body.receiptNo, '日结 2'],
        [a.body.receiptNo, '日结'],
      ]);

      const rec = (await request(http).get(api('/terminal/reconciliation')).set('x-api-key', key).set('authorization', t.shop_clerk).expect(200)).body;
      expect(rec.from).toBe(today.day);
      expect(rec.to).toBe(today.day);
      expect(rec.shopId).toBe(f.shopA);
      expect(rec.goods.find((g: { goodsId: string }) => g.goodsId === rice)).toMatchObject({ quantity: 5, voidedQuantity: 2, netQuantity: 3, points: 25, netPoints: 15 });
      expect(rec.totals.netPoints).toBe(today.netPoints);
      const empty = (await request(http).get(api('/terminal/reconciliation')).query({ day: '2020-01-01' }).set('x-api-key', key).set('authorization', t.shop_clerk).expect(200)).body;
      expect(empty.totals).toEqual({ points: 0, voidedPoints: 0, netPoints: 0 });
      expect((await request(http).get(api('/terminal/reconciliation')).query({ day: '2026-02-30' }).set('x-api-key', key).set('authorization', t.shop_clerk).expect(400)).body.code).toBe('VALIDATION.FAILED');
    });
  });

  it('the clerk is read fresh: one moved to another shop no longer sells here, neither with the token issued before nor with a new one', async () => {
    const key = await pairedKey('调岗');
    const username = `clerk-moved-${Date.now()}`;
    const made = await request(http).post(api('/staff')).set('authorization', t.town_admin).send({ username, displayName: '调岗店员', password: FIXTURE_PASSWORD, role: 'shop_clerk', shopId: f.shopA }).expect(201);
    const token = await bearer(http, username);
    await request(http).get(api('/terminal/goods')).set('x-api-key', key).set('authorization', token).expect(200);
    const shopC = await request(http).post(api('/shops')).set('authorization', t.town_admin).send({ code: `C${seq++}`, name: '南村信义超市', villageIds: [f.villageB] }).expect(201);
    await stack.db.query(`UPDATE staff_users SET shop_id = $2 WHERE id = $1`, [made.body.id, shopC.body.id]);
    // The token issued before names shop A: the per-request session check refuses it at once.
    expect((await request(http).get(api('/terminal/goods')).set('x-api-key', key).set('authorization', token).expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
    // Signed in again, the clerk's token names shop C: this terminal is shop A's.
    const fresh = await bearer(http, username);
    expect((await request(http).get(api('/terminal/goods')).set('x-api-key', key).set('authorization', fresh).expect(403)).body).toMatchObject({ code: 'AUTH.OUT_OF_SCOPE', message: expect.stringContaining('不是本终端所属超市的店员') });
  });

  it('the clerk’s name is read with the session on each request: renamed, the next receipt carries the new name (one lookup for both)', async () => {
    const key = await pairedKey('改名');
    const username = `clerk-renamed-${Date.now()}`;
    const made = await request(http).post(api('/staff')).set('authorization', t.town_admin).send({ username, displayName: '旧名店员', password: FIXTURE_PASSWORD, role: 'shop_clerk', shopId: f.shopA }).expect(201);
    const token = await bearer(http, username);
    const me = (await request(http).get(api('/terminal/me')).set('x-api-key', key).set('authorization', token).expect(200)).body;
    expect(me.clerk).toEqual({ id: made.body.id, username, displayName: '旧名店员' });
    await stack.db.query(`UPDATE staff_users SET display_name = '新名店员' WHERE id = $1`, [made.body.id]);
    const r = f.residentsA[2];
    await fund(r, 5);
    const gum = await goods({ name: '口香糖(改名)', pricePoints: 1 });
    const sold = await request(http).post(api('/terminal/redemptions')).set('x-api-key', key).set('authorization', token).send({ cardCode: await card(r), lines: [{ goodsId: gum, quantity: 1 }], idempotencyKey: idem() }).expect(201);
    expect(sold.body.clerkName).toBe('新名店员');
    const [a] = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'redemption.create' AND summary->>'receiptNo' = $1`, [sold.body.receiptNo]);
    expect(a.summary).toMatchObject({ clerkId: made.body.id, clerkName: '新名店员' });
  });
});
