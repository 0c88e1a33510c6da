import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerService } from '@app/ledger/ledger.service';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

/** What a real till sends: scanner suffixes, lower case, the standard Idempotency-Key header, a clerk signed in. */
describe('terminal and shop as a till uses them', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let key: string;
  let terminalId: string;
  let soap: string;
  const cardOf = async (id: string) => (await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [id]))[0].card_code as string;
  const redeem = () => request(stack.http).post('/api/v1/terminal/redemptions').set('x-api-key', key);
  const receipts = async () => (await stack.db.query(`SELECT count(*)::int AS n FROM redemptions`))[0].n as number;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 3);
    t = await bearers(stack.http, f);
    const created = await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', t.town_admin).send({ name: '收银台' }).expect(201);
    [key, terminalId] = [created.body.apiKey, created.body.id];
    const g = await request(stack.http).post(`/api/v1/shops/${f.shopA}/goods`).set('authorization', t.shop_clerk).send({ name: '肥皂', unit: '块', pricePoints: 3 }).expect(201);
    soap = g.body.id;
    await request(stack.http).post(`/api/v1/goods/${soap}/stock`).set('authorization', t.shop_clerk).send({ kind: 'received', quantity: 50, reason: '进货' }).expect(200);
    for (const r of f.residentsA) {
      await stack.api.get(LedgerService).postBatch([{ accountId: r, kind: 'opening_balance', points: 100, sourceRef: `opening:${r}`, counterparty: `town:${f.townId}`, period: '2026-01', memo: '测试期初' }]);
    }
  });
  afterAll(async () => stack?.close());

  it('card codes are trimmed and case-insensitive at the terminal (look-up and redemption)', async () => {
    const card = await cardOf(f.residentsA[0]);
    for (const scanned of [card.toLowerCase(), `${card}\r\n`, ` ${card}\t`, `${card.toLowerCase()}\n`]) {
      const res = await request(stack.http).get(`/api/v1/terminal/residents/${encodeURIComponent(scanned)}`).set('x-api-key', key);
      expect([JSON.stringify(scanned), res.status]).toEqual([JSON.stringify(scanned), 200]);
    }
    const res = await redeem().send({ cardCode: `${card.toLowerCase()}\r\n`, lines: [{ goodsId: soap, quantity: 1 }], idempotencyKey: 'till-case-0001' }).expect(201);
    expect(res.body.totalPoints).toBe(3);
    // The same key with the same card typed differently is the same request: a replay.
    const again = await redeem().send({ cardCode: card, lines: [{ goodsId: soap, quantity: 1 }], idempotencyKey: 'till-case-0001' }).expect(200);
    expect([again.headers['idempotent-replayed'], again.body.receiptNo]).toEqual(['true', res.body.receiptNo]);
  });

  it('takes the Idempotency-Key header; the body field still works; both different is a 400', async () => {
    const card = await cardOf(f.residentsA[1]);
    const body = { cardCode: card, lines: [{ goodsId: soap, quantity: 2 }] };
    const first = await redeem().set('Idempotency-Key', 'till-header-0001').send(body).expect(201);
    const retry = await redeem().set('Idempotency-Key', 'till-header-0001').send(body).expect(200);
    expect(retry.body.receiptNo).toBe(first.body.receiptNo);
    // The same key in both places is one key.
    const both = await redeem().set('Idempotency-Key', 'till-header-0001').send({ ...body, idempotencyKey: 'till-header-0001' }).expect(200);
    expect(both.body.receiptNo).toBe(first.body.receiptNo);
    const before = await receipts();
    const conflict = await redeem().set('Idempotency-Key', 'till-header-0002').send({ ...body, idempotencyKey: 'till-header-0003' }).expect(400);
    expect(conflict.body.code).toBe('REQUEST.IDEMPOTENCY_KEY_CONFLICT');
    const malformed = await redeem().set('Idempotency-Key', 'short').send(body).expect(400);
    expect(malformed.body).toMatchObject({ code: 'VALIDATION.FAILED', details: [{ field: 'Idempotency-Key', message: expect.stringContaining('幂等键') }] });
    const none = await redeem().send(body).expect(400);
    expect(none.body).toMatchObject({ code: 'VALIDATION.FAILED', details: [{ field: 'idempotencyKey', message: expect.stringMatching(/^幂等键（idempotencyKey）必须填写/) }] });
    expect(await receipts()).toBe(before);
  });

  it('entries take the Idempotency-Key header too', async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const entry = { residentId: f.residentsA[2], itemCode: 'T10', occurredOn: today };
    const post = () => request(stack.http).post(`/api/v1/villages/${f.villageA}/entries`).set('authorization', t.village_clerk);
    const first = await post().set('Idempotency-Key', 'clerk-entry-0001').send(entry).expect(201);
    const retry = await post().set('Idempotency-Key', 'clerk-entry-0001').send(entry).expect(200);
    expect(retry.body.id).toBe(first.body.id);
    const viaBody = await post().send({ ...entry, idempotencyKey: 'clerk-entry-0001' }).expect(200);
    expect(viaBody.body.id).toBe(first.body.id);
    expect((await post().set('Idempotency-Key', 'clerk-entry-0002').send({ ...entry, idempotencyKey: 'clerk-entry-0003' }).expect(400)).body.code).toBe('REQUEST.IDEMPOTENCY_KEY_CONFLICT');
  });

  it('a shop clerk reads their own shop, its goods and stock', async () => {
    const shops = await request(stack.http).get('/api/v1/shops').set('authorization', t.shop_clerk).expect(200);
    expect(shops.body.map((s: { id: string }) => s.id)).toEqual([f.shopA]);
    const all = await request(stack.http).get('/api/v1/shops').set('authorization', t.town_admin).expect(200);
    expect(all.body.map((s: { id: string }) => s.id)).toContain(f.shopA);
    const goods = await request(stack.http).get(`/api/v1/shops/${f.shopA}/goods`).set('authorization', t.shop_clerk).expect(200);
    expect(goods.body).toEqual([expect.objectContaining({ id: soap, pricePoints: 3, stock: expect.any(Number) })]);
    expect((await request(stack.http).get(`/api/v1/shops/${f.shopOther}/goods`).set('authorization', t.shop_clerk)).status).toBe(403);
  });

  it('each redemption has its audit row: terminal, clerk when signed in, receipt', async () => {
    const card = await cardOf(f.residentsA[0]);
    const plain = await redeem().set('Idempotency-Key', 'till-audit-0001').send({ cardCode: card, lines: [{ goodsId: soap, quantity: 1 }] }).expect(201);
    const withClerk = await redeem().set('authorization', t.shop_clerk).set('Idempotency-Key', 'till-audit-0002').send({ cardCode: card, lines: [{ goodsId: soap, quantity: 1 }] }).expect(201);
    const rows = await stack.db.query(
      `SELECT actor_type AS "actorType", actor_id AS "actorId", actor_role AS "actorRole", summary FROM audit_log WHERE action = 'redemption.create' AND summary->>'receiptNo' = ANY($1) ORDER BY id`,
      [[plain.body.receiptNo, withClerk.body.receiptNo]],
    );
    expect(rows).toEqual([
      { actorType: 'terminal', actorId: terminalId, actorRole: 'terminal', summary: expect.objectContaining({ receiptNo: plain.body.receiptNo, terminalId, clerkId: null, points: 3 }) },
      { actorType: 'terminal', actorId: terminalId, actorRole: 'terminal', summary: expect.objectContaining({ receiptNo: withClerk.body.receiptNo, terminalId, clerkId: f.users.shop_clerk.id }) },
    ]);
    // Another role's token at the till is refused, not ignored.
    const wrong = await redeem().set('authorization', t.village_clerk).set('Idempotency-Key', 'till-audit-0003').send({ cardCode: card, lines: [{ goodsId: soap, quantity: 1 }] }).expect(403);
    expect(wrong.body.code).toBe('AUTH.OUT_OF_SCOPE');
  });
});
