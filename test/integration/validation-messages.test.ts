import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

const HAN = /\p{Script=Han}/u;

interface Detail {
  field: string;
  constraints?: Record<string, string>;
  message?: string;
}

/**
 * A person reads these messages (a clerk at the console, a resident at the objection form, a
 * shop clerk at the till): every detail of every validation error says in Chinese which field
 * is wrong and what is expected, while the field path and constraint names stay as they were.
 */
describe('validation errors: a Chinese message naming the field in every detail, on every kind of endpoint', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let apiKey: string;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 2);
    t = await bearers(stack.http, f);
    apiKey = (await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', t.town_admin).send({ name: 'till' }).expect(201)).body.apiKey;
  });
  afterAll(async () => stack?.close());

  it('walks staff, public and terminal endpoints with bad input', async () => {
    const anId = '00000000-0000-4000-8000-0000000000aa';
    const cases: Array<{ name: string; req: () => request.Test; fields: string[] }> = [
      { name: 'login', req: () => request(stack.http).post('/api/v1/auth/login').send({ username: 12, extra: true }), fields: ['username', 'password', 'extra'] },
      {
        name: 'public objection form',
        req: () => request(stack.http).post(`/api/v1/public/boards/${f.villageA}/2026-11/objections`).send({ entryId: 'nope', name: '', contact: '1', reason: 'x' }),
        fields: ['entryId', 'name', 'contact', 'reason'],
      },
      { name: 'public board path', req: () => request(stack.http).get(`/api/v1/public/boards/${f.villageA}/2026-13`), fields: ['period'] },
      {
        name: 'terminal redemption',
        req: () =>
          request(stack.http)
            .post('/api/v1/terminal/redemptions')
            .set('x-api-key', apiKey)
            .send({ cardCode: '卡!', lines: [{ goodsId: 'x', quantity: 0 }], idempotencyKey: 'short' }),
        fields: ['cardCode', 'lines[0].goodsId', 'lines[0].quantity', 'idempotencyKey'],
      },
      { name: 'terminal void', req: () => request(stack.http).post('/api/v1/terminal/redemptions/S1-20260101-000001/void').set('x-api-key', apiKey).send({ reason: 5 }), fields: ['reason'] },
      {
        name: 'entry',
        req: () => request(stack.http).post(`/api/v1/villages/${f.villageA}/entries`).set('authorization', t.village_clerk).send({ residentId: f.residentsA[0], itemCode: 'T10', occurredOn: '2026-02-30', quantity: 'two' }),
        fields: ['occurredOn', 'quantity'],
      },
      {
        name: 'meeting',
        req: () => request(stack.http).post(`/api/v1/villages/${f.villageA}/cycles/2026-11/meeting`).set('authorization', t.village_reviewer).send({ heldOn: 'tomorrow', attendees: [''] }),
        fields: ['heldOn', 'attendees'],
      },
      {
        name: 'decisions (nested)',
        req: () => request(stack.http).post(`/api/v1/villages/${f.villageA}/cycles/2026-11/decisions`).set('authorization', t.village_reviewer).send({ decisions: [{ entryId: anId, decision: 'maybe' }] }),
        fields: ['decisions[0].decision'],
      },
      { name: 'goods', req: () => request(stack.http).post(`/api/v1/shops/${f.shopA}/goods`).set('authorization', t.shop_clerk).send({ name: '洗衣粉', unit: '袋', pricePoints: 0 }), fields: ['pricePoints'] },
      { name: 'stock', req: () => request(stack.http).post(`/api/v1/goods/${anId}/stock`).set('authorization', t.shop_clerk).send({ kind: 'stolen', quantity: 1, reason: '盘点' }), fields: ['kind'] },
      { name: 'correction', req: () => request(stack.http).post('/api/v1/ledger/corrections').set('authorization', t.town_admin).send({ postingId: '1024', type: 'reversal', points: 5, reason: '复核更正' }), fields: ['points'] },
      { name: 'audit log range (a check in the service)', req: () => request(stack.http).get('/api/v1/audit/log').query({ from: '2026-11-02', to: '2026-11-01' }).set('authorization', t.auditor), fields: ['from'] },
      { name: 'postings cursor (a check in the service)', req: () => request(stack.http).get('/api/v1/audit/postings').query({ cursor: 'bogus' }).set('authorization', t.auditor), fields: ['cursor'] },
      { name: 'query string', req: () => request(stack.http).get(`/api/v1/shops/${f.shopA}/goods/low-stock`).query({ threshold: 'many' }).set('authorization', t.shop_clerk), fields: ['threshold'] },
      { name: 'NUL in a field', req: () => request(stack.http).post('/api/v1/auth/login').send({ username: 'a\u0000', password: 'whatever-password' }), fields: ['username'] },
    ];
    const failures: string[] = [];
    for (const c of cases) {
      const res = await c.req();
      if (res.status !== 400 || res.body.code !== 'VALIDATION.FAILED') {
        failures.push(`${c.name}: ${res.status} ${res.body.code}`);
        continue;
      }
      const details = res.body.details as Detail[];
      for (const field of c.fields) if (!details.some((d) => d.field === field)) failures.push(`${c.name}: no detail for ${field} in ${JSON.stringify(details)}`);
      for (const d of details) {
        if (typeof d.message !== 'string' || !HAN.test(d.message.split(' / ')[0])) failures.push(`${c.name}: ${d.field} has no Chinese message: ${d.message}`);
        else if (!d.message.includes(`（${d.field}）`) && !d.message.includes(`字段 ${d.field}`)) failures.push(`${c.name}: ${d.field} not named in: ${d.message}`);
        if (!d.constraints || Object.keys(d.constraints).length === 0) failures.push(`${c.name}: ${d.field} lost its constraint names`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('says what is expected, with the declared bounds and the field label', async () => {
    const res = await request(stack.http)
      .post('/api/v1/terminal/redemptions')
      .set('x-api-key', apiKey)
      .send({ cardCode: 'DC-01', lines: [{ goodsId: '00000000-0000-4000-8000-0000000000aa', quantity: 101 }], idempotencyKey: 'till-0000001' })
      .expect(400);
    const by = Object.fromEntries((res.body.details as Detail[]).map((d) => [d.field, d.message]));
    expect(by['lines[0].quantity']).toMatch(/^数量（lines\[0\]\.quantity）不正确：不能大于 100 \/ quantity must not be greater than 100$/);
    expect(by.cardCode).toMatch(/^村民积分卡号（cardCode）不正确：格式不正确，应如 DC0001A7 \/ cardCode must be 6–20 upper-case letters or digits$/);
    const objection = await request(stack.http).post(`/api/v1/public/boards/${f.villageA}/2026-11/objections`).send({ entryId: '00000000-0000-4000-8000-0000000000aa', name: '张三', contact: '138', reason: '' }).expect(400);
    expect(objection.body.details).toEqual([{ field: 'reason', constraints: { minLength: expect.any(String) }, message: expect.stringMatching(/^异议理由（reason）不正确：长度不能少于 2 个字符 \//) }]);
  });
});
