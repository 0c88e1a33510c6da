import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppConfig } from '@app/config/app-config';
import { DEMO_PASSWORD, demoResidents, seedDemo } from '@app/database/demo-seed';
import { checkNationalId } from '@app/org/national-id';
import { startStack, type TestStack } from '../support/app';

describe('demo seed', () => {
  let stack: TestStack;
  let secret: string;
  const counts = async () =>
    (
      await stack.db.query(`SELECT
        (SELECT count(*)::int FROM towns) AS towns, (SELECT count(*)::int FROM villages) AS villages,
        (SELECT count(*)::int FROM households) AS households, (SELECT count(*)::int FROM residents) AS residents,
        (SELECT count(*)::int FROM staff_users) AS staff, (SELECT count(*)::int FROM terminals) AS terminals,
        (SELECT count(*)::int FROM audit_log) AS audit`)
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
    const after = await counts();
    expect(after).toEqual({
      towns: before.towns + 1,
      villages: before.villages + 3,
      households: before.households + 60,
      residents: before.residents + 150,
      staff: before.staff + 5,
      terminals: before.terminals + 1,
      audit: before.audit + 1,
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
