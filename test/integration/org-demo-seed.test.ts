import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppConfig } from '@app/config/app-config';
import { DEMO_GOODS, DEMO_OPENING_BALANCE, DEMO_PASSWORD, demoResidents, seedDemo } from '@app/database/demo-seed';
import { checkNationalId } from '@app/org/national-id';
import { startStack, type TestStack } from '../support/app';

describe('demo seed', () => {
  let stack: TestStack;
  let secret: string;
  let terminalKey: string;
  const counts = async () =>
    (
      await stack.db.query(`SELECT
        (SELECT count(*)::int FROM towns) AS towns, (SELECT count(*)::int FROM villages) AS villages,
        (SELECT count(*)::int FROM households) AS households, (SELECT count(*)::int FROM residents) AS residents,
        (SELECT count(*)::int FROM staff_users) AS staff, (SELECT count(*)::int FROM terminals) AS terminals,
        (SELECT count(*)::int FROM audit_log) AS audit, (SELECT count(*)::int FROM goods) AS goods,
        (SELECT count(*)::int FROM stock_movements) AS movements, (SELECT count(*)::int FROM postings WHERE kind = 'opening_balance') AS openings`)
    )[0];

  beforeAll(async () => {
    stack = await startStack();
    secret = stack.api.get(AppConfig).get('ID_HASH_SECRET');
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('generates the same valid, distinct people every time', () => {
    const a = [0, 1, 2].flatMap((i) => demoResidents(['DC', 'XC', 'NC'][i] as string, i));
    expect(a).toEqual([0, 1, 2].flatMap((i) => demoResidents(['DC', 'XC', 'NC'][i] as string, i)));
    expect(a).toHaveLength(150);
    for (const p of a) expect(checkNationalId(p.nationalId)).toMatchObject({ ok: true, gender: p.gender, birthYear: p.birthYear });
    expect(new Set(a.map((p) => p.nationalId)).size).toBe(150);
    expect(new Set(a.map((p) => p.cardCode)).size).toBe(150);
  });

  it('seeds 侯营镇 once; a second run changes nothing and says so', async () => {
    const before = await counts();
    const first = await seedDemo(stack.db, secret);
    expect(first.created).toBe(true);
    expect(first.lines.join('\n')).toMatch(/terminal API key \(shown only now\): xt_[0-9a-f]{12}_/);
    terminalKey = /terminal API key \(shown only now\): (\S+)/.exec(first.lines.join('\n'))![1]!;
    const after = await counts();
    expect(after).toEqual({
      towns: before.towns + 1,
      villages: before.villages + 3,
      households: before.households + 60,
      residents: before.residents + 150,
      staff: before.staff + 5,
      terminals: before.terminals + 1,
      audit: before.audit + 2,
      goods: before.goods + DEMO_GOODS.length,
      movements: before.movements + DEMO_GOODS.length,
      openings: before.openings + 150,
    });
    const second = await seedDemo(stack.db, secret);
    expect(second).toEqual({ created: false, lines: [expect.stringContaining('nothing changed')] });
    expect(await counts()).toEqual(after);
  });

  it('the demo staff log in and see the demo town with the default catalogue in force', async () => {
    const login = await request(stack.http).post('/api/v1/auth/login').send({ username: 'clerk.dongcun', password: DEMO_PASSWORD }).expect(200);
    const auth = `Bearer ${login.body.accessToken}`;
    const villages = await request(stack.http).get('/api/v1/villages').set('authorization', auth).expect(200);
    expect(villages.body.map((v: { name: string }) => v.name)).toEqual(['东村']);
    const residents = await request(stack.http).get(`/api/v1/villages/${villages.body[0].id}/residents`).set('authorization', auth).expect(200);
    expect(residents.body.total).toBe(50);
    const items = await request(stack.http).get('/api/v1/catalog/items').set('authorization', auth).expect(200);
    expect(items.body).toHaveLength(153);
    const [shop] = await stack.db.query(`SELECT s.name, array_agg(v.name ORDER BY v.name) AS villages FROM shops s JOIN shop_villages sv ON sv.shop_id = s.id JOIN villages v ON v.id = sv.village_id WHERE s.code = 'DC-SHOP' GROUP BY s.name`);
    expect(shop).toEqual({ name: '东村信义超市', villages: ['东村', '西村'] });
  });

  it('the demo till works on a fresh start: goods priced in points, residents with points, a scanned card redeems', async () => {
    const goods = await request(stack.http).get('/api/v1/terminal/goods').set('x-api-key', terminalKey).expect(200);
    const byName = Object.fromEntries(goods.body.map((g: { name: string; pricePoints: number; stock: number }) => [g.name, g]));
    expect(byName['洗衣粉 1kg']).toMatchObject({ pricePoints: 10, stock: 50, active: true });
    expect(byName['不锈钢盆']).toMatchObject({ pricePoints: 4 });
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(['食用油 5L', '毛巾']));
    const card = demoResidents('DC', 0)[0]!.cardCode;
    // As a scanner sends it: lower case with a trailing CR LF.
    const who = await request(stack.http).get(`/api/v1/terminal/residents/${encodeURIComponent(`${card.toLowerCase()}\r\n`)}`).set('x-api-key', terminalKey).expect(200);
    expect(who.body.balance).toBe(DEMO_OPENING_BALANCE);
    const receipt = await request(stack.http)
      .post('/api/v1/terminal/redemptions')
      .set('x-api-key', terminalKey)
      .set('idempotency-key', 'demo-till-0001')
      .send({ cardCode: ` ${card.toLowerCase()}\r`, lines: [{ goodsId: byName['洗衣粉 1kg'].id, quantity: 1 }, { goodsId: byName['不锈钢盆'].id, quantity: 2 }] })
      .expect(201);
    expect([receipt.body.totalPoints, receipt.body.balanceAfter]).toEqual([18, DEMO_OPENING_BALANCE - 18]);
  });

  it('a demo town whose shop lacks the demo goods gets them on the next run, once', async () => {
    const [shop] = await stack.db.query(`SELECT id FROM shops WHERE code = 'DC-SHOP'`);
    // As a seed from before the goods left it, as far as names go: none of the demo goods on the shelf.
    await stack.db.query(`UPDATE goods SET name = name || '（旧）' WHERE shop_id = $1`, [shop.id]);
    const before = await counts();
    const again = await seedDemo(stack.db, secret);
    expect(again).toEqual({ created: false, lines: [expect.stringContaining(`stocked 东村信义超市 with ${DEMO_GOODS.length} goods`)] });
    expect(await counts()).toMatchObject({ goods: before.goods + DEMO_GOODS.length, residents: before.residents, openings: before.openings });
    expect((await seedDemo(stack.db, secret)).lines).toEqual([expect.stringContaining('nothing changed')]);
  });

  it('demo IDs are hashed like the API hashes them: registering a demo person again is a duplicate', async () => {
    const login = await request(stack.http).post('/api/v1/auth/login').send({ username: 'admin', password: DEMO_PASSWORD }).expect(200);
    const auth = `Bearer ${login.body.accessToken}`;
    const [hh] = await stack.db.query(`SELECT h.id, h.village_id FROM households h JOIN villages v ON v.id = h.village_id WHERE v.code = 'NC' LIMIT 1`);
    const person = demoResidents('DC', 0)[0]!;
    const res = await request(stack.http)
      .post(`/api/v1/villages/${hh.village_id}/residents`)
      .set('authorization', auth)
      .send({ householdId: hh.id, name: person.name, nationalId: person.nationalId })
      .expect(409);
    expect(res.body.code).toBe('RESIDENT.DUPLICATE_ID');
  });
});
