import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '@app/auth/auth.service';
import { DEFAULT_CATALOG, validateCatalogData, type CatalogData } from '@app/catalog/default-catalog';
import { shanghaiDate } from '@app/common/time';
import { startStack, type TestStack } from '../support/app';
import { bearer, bearers, FIXTURE_PASSWORD, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

const day = (offset: number) => shanghaiDate(new Date(Date.now() + offset * 86_400_000));

describe('catalogue', () => {
  let stack: TestStack;
  let f: TownFixture;
  let as: Record<FixtureUser, string>;
  const api = (path: string) => `/api/v1${path}`;
  const villageItems = async (villageId: string) => (await stack.db.query(`SELECT count(*)::int AS n FROM catalog_items WHERE village_id = $1`, [villageId]))[0].n as number;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 1);
    as = await bearers(stack.http, f);
  });
  afterAll(async () => {
    await stack?.close();
  });

  describe('the migrated default catalogue', () => {
    it('holds exactly 66 trust + 87 breach items with unique codes, each rule valid', async () => {
      const [version] = await stack.db.query(`SELECT id, code, name, description FROM catalog_versions WHERE code = $1`, [DEFAULT_CATALOG.version]);
      const items = await stack.db.query(`SELECT code, category, name, description, sign, rule, caps FROM catalog_items WHERE version_id = $1 ORDER BY code`, [version.id]);
      expect(items.filter((i: { sign: number }) => i.sign === 1)).toHaveLength(66);
      expect(items.filter((i: { sign: number }) => i.sign === -1)).toHaveLength(87);
      expect(new Set(items.map((i: { code: string }) => i.code)).size).toBe(153);
      const fromDb: CatalogData = {
        version: version.code,
        name: version.name,
        description: version.description,
        items: items.map((i: CatalogData['items'][number] & { caps: unknown }) => ({ ...i, caps: i.caps ?? undefined })),
      };
      expect(validateCatalogData(fromDb)).toEqual([]);
    });

    it('refuses to change an adopted version’s items (append-only trigger)', async () => {
      await expect(stack.db.query(`UPDATE catalog_items SET name = 'x' WHERE code = 'T01'`)).rejects.toThrow();
      const [t01] = await stack.db.query(`SELECT name FROM catalog_items WHERE code = 'T01' AND version_id IS NOT NULL`);
      expect(t01.name).toBe('参加志愿服务');
    });
  });

  describe('reading', () => {
    it('lists versions with counts and the town’s adoption in force', async () => {
      const res = await request(stack.http).get(api('/catalog/versions')).set('authorization', as.shop_clerk).expect(200);
      const v = res.body.find((x: { code: string }) => x.code === DEFAULT_CATALOG.version);
      expect(v).toMatchObject({ trustItems: 66, breachItems: 87, inForce: true, adoptions: [{ versionCode: DEFAULT_CATALOG.version, effectiveFrom: '2020-01-01' }] });
    });

    it('lists the items in force, each with its rule explained, with filters', async () => {
      const all = await request(stack.http).get(api('/catalog/items')).set('authorization', as.auditor).expect(200);
      expect(all.body).toHaveLength(153);
      expect(all.body.every((i: { ruleText: string; versionId: string }) => i.ruleText.length > 0 && i.versionId)).toBe(true);
      const breach = await request(stack.http).get(api('/catalog/items')).query({ sign: -1 }).set('authorization', as.auditor).expect(200);
      expect(breach.body).toHaveLength(87);
      const byCode = await request(stack.http).get(api('/catalog/items')).query({ code: 'T01' }).set('authorization', as.auditor).expect(200);
      expect(byCode.body.map((i: { code: string }) => i.code)).toEqual(['T01']);
      const byText = await request(stack.http).get(api('/catalog/items')).query({ q: '垃圾' }).set('authorization', as.auditor).expect(200);
      expect(byText.body.length).toBeGreaterThan(0);
      expect(byText.body.every((i: { name: string; description: string }) => `${i.name}${i.description}`.includes('垃圾'))).toBe(true);
      const byCategory = await request(stack.http).get(api('/catalog/items')).query({ category: '志愿服务' }).set('authorization', as.auditor).expect(200);
      expect(byCategory.body.every((i: { category: string }) => i.category === '志愿服务')).toBe(true);
    });

    it('reads one item in force; an unknown code is 404', async () => {
      const res = await request(stack.http).get(api('/catalog/items/T01')).set('authorization', as.village_clerk).expect(200);
      expect(res.body).toMatchObject({ code: 'T01', sign: 1, rule: { type: 'cumulative_bands' } });
      expect(res.body.ruleText).toContain('小时');
      const missing = await request(stack.http).get(api('/catalog/items/T99')).set('authorization', as.village_clerk).expect(404);
      expect(missing.body.code).toBe('CATALOG.ITEM_NOT_FOUND');
    });

    it('a town without an adopted version gets 409 CATALOG.NO_VERSION_ADOPTED', async () => {
      const [town] = await stack.db.query(`INSERT INTO towns (code, name) VALUES ($1, '新镇') RETURNING id`, [`N${Date.now()}`]);
      const username = `new-town-admin-${Date.now()}`;
      await stack.db.query(`INSERT INTO staff_users (username, display_name, password_hash, role, town_id) VALUES ($1, $1, $2, 'town_admin', $3)`, [
        username,
        await AuthService.hashPassword(FIXTURE_PASSWORD),
        town.id,
      ]);
      const auth = await bearer(stack.http, username);
      expect((await request(stack.http).get(api('/catalog/items')).set('authorization', auth).expect(409)).body.code).toBe('CATALOG.NO_VERSION_ADOPTED');
      expect((await request(stack.http).get(api('/catalog/items/T01')).set('authorization', auth).expect(409)).body.code).toBe('CATALOG.NO_VERSION_ADOPTED');
      // An adoption from tomorrow does not put anything in force today.
      await request(stack.http).post(api('/catalog/adoptions')).set('authorization', auth).send({ versionCode: DEFAULT_CATALOG.version, effectiveFrom: day(1) }).expect(201);
      expect((await request(stack.http).get(api('/catalog/items')).set('authorization', auth).expect(409)).body.code).toBe('CATALOG.NO_VERSION_ADOPTED');
    });
  });

  describe('adoption', () => {
    it('the latest adoption on or before today is in force', async () => {
      const [v2] = await stack.db.query(`INSERT INTO catalog_versions (code, name, description) VALUES ('test.2', '测试版', '只有一项') RETURNING id`);
      await stack.db.query(
        `INSERT INTO catalog_items (version_id, code, category, name, description, sign, rule) VALUES ($1, 'T01', '测试', '测试事项', '说明', 1, '{"type":"fixed","points":1}')`,
        [v2.id],
      );
      await stack.db.query(`INSERT INTO catalog_adoptions (town_id, version_id, effective_from) VALUES ($1, $2, $3)`, [f.townId, v2.id, day(-1)]);
      const res = await request(stack.http).get(api('/catalog/items')).set('authorization', as.auditor).expect(200);
      expect(res.body.map((i: { code: string; name: string }) => [i.code, i.name])).toEqual([['T01', '测试事项']]);
      expect(res.body[0].ruleText).toBe('每次 +1 分');
      const other = await request(stack.http).get(api('/catalog/items')).set('authorization', as.other_town_admin).expect(200);
      expect(other.body).toHaveLength(153);
    });

    it('the town admin adopts a version from today or later; past, duplicate and unknown are refused', async () => {
      const ok = await request(stack.http).post(api('/catalog/adoptions')).set('authorization', as.town_admin).send({ versionCode: DEFAULT_CATALOG.version, effectiveFrom: day(30) }).expect(201);
      expect(ok.body).toMatchObject({ versionCode: DEFAULT_CATALOG.version, effectiveFrom: day(30) });
      const audits = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'catalog.adopt'`);
      expect(audits.some((a: { summary: { effectiveFrom: string } }) => a.summary.effectiveFrom === day(30))).toBe(true);
      const countAdoptions = async () => (await stack.db.query(`SELECT count(*)::int AS n FROM catalog_adoptions WHERE town_id = $1`, [f.townId]))[0].n;
      const before = await countAdoptions();
      const cases: Array<[FixtureUser, Record<string, string>, number, string]> = [
        ['town_admin', { versionCode: DEFAULT_CATALOG.version, effectiveFrom: day(30) }, 409, 'CATALOG.ADOPTION_EXISTS'],
        ['town_admin', { versionCode: DEFAULT_CATALOG.version, effectiveFrom: day(-1) }, 422, 'CATALOG.ADOPTION_IN_PAST'],
        ['town_admin', { versionCode: 'no-such', effectiveFrom: day(40) }, 404, 'CATALOG.VERSION_NOT_FOUND'],
        ['town_admin', { versionCode: DEFAULT_CATALOG.version, effectiveFrom: '2027-02-30' }, 400, 'VALIDATION.FAILED'],
        ['village_reviewer', { versionCode: DEFAULT_CATALOG.version, effectiveFrom: day(50) }, 403, 'AUTH.FORBIDDEN'],
        ['auditor', { versionCode: DEFAULT_CATALOG.version, effectiveFrom: day(50) }, 403, 'AUTH.FORBIDDEN'],
      ];
      for (const [who, body, status, code] of cases) {
        expect((await request(stack.http).post(api('/catalog/adoptions')).set('authorization', as[who]).send(body).expect(status)).body.code).toBe(code);
      }
      expect(await countAdoptions()).toBe(before);
    });
  });

  describe('village items', () => {
    const item = (code: string, sign: 1 | -1, rule: object, caps?: object) => ({ code, category: '人居环境', name: `村事项${code}`, description: '本村自设', sign, rule, ...(caps ? { caps } : {}) });
    const post = (who: FixtureUser, villageId: string, body: object) => request(stack.http).post(api(`/villages/${villageId}/items`)).set('authorization', as[who]).send(body);

    it('the village reviewer adds an item within the limits; it shows in their catalogue with its rule explained', async () => {
      const res = await post('village_reviewer', f.villageA, item('V01', 1, { type: 'fixed', points: 2 })).expect(201);
      expect(res.body).toMatchObject({ code: 'V01', villageId: f.villageA, versionId: null, sign: 1, ruleText: '每次 +2 分' });
      const mine = await request(stack.http).get(api('/catalog/items')).query({ code: 'V01' }).set('authorization', as.village_clerk).expect(200);
      expect(mine.body.map((i: { id: string }) => i.id)).toEqual([res.body.id]);
      const one = await request(stack.http).get(api('/catalog/items/V01')).set('authorization', as.village_clerk).expect(200);
      expect(one.body.id).toBe(res.body.id);
      const withoutVillage = await request(stack.http).get(api('/catalog/items')).query({ code: 'V01', includeVillage: 'false' }).set('authorization', as.village_clerk).expect(200);
      expect(withoutVillage.body).toEqual([]);
      const townView = await request(stack.http).get(api('/catalog/items')).query({ code: 'V01' }).set('authorization', as.town_admin).expect(200);
      expect(townView.body).toEqual([]);
      const townOfA = await request(stack.http).get(api('/catalog/items')).query({ code: 'V01', villageId: f.villageA }).set('authorization', as.town_admin).expect(200);
      expect(townOfA.body).toHaveLength(1);
      expect((await request(stack.http).get(api('/catalog/items/V01')).set('authorization', as.clerk_b).expect(404)).body.code).toBe('CATALOG.ITEM_NOT_FOUND');
      const list = await request(stack.http).get(api(`/villages/${f.villageA}/items`)).set('authorization', as.auditor).expect(200);
      expect(list.body.map((i: { code: string }) => i.code)).toEqual(['V01']);
      const audit = await stack.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'catalog.village_item.create' AND target_id = $1`, [res.body.id]);
      expect(audit[0].n).toBe(1);
    });

    it('refuses items over the town limits with the limit named, storing nothing', async () => {
      const before = await villageItems(f.villageA);
      const tooBig = await post('village_reviewer', f.villageA, item('V02', -1, { type: 'range', min: 1, max: 3 })).expect(422);
      expect(tooBig.body).toMatchObject({ code: 'CATALOG.VILLAGE_ITEM_LIMIT', details: [{ limit: 'villageItemMaxPoints', allowed: 2, actual: 3 }] });
      const bands = await post('village_reviewer', f.villageA, item('V02', 1, { type: 'cumulative_bands', unitLabel: '小时', bands: [{ atLeast: 5, points: 1 }, { atLeast: 10, points: 3 }] })).expect(422);
      expect(bands.body.details[0]).toMatchObject({ limit: 'villageItemMaxPoints', actual: 3 });
      const perUnit = await post('village_reviewer', f.villageA, item('V02', 1, { type: 'per_unit', unitSize: 100, unitLabel: '元', pointsPerUnit: 1 })).expect(422);
      expect(perUnit.body.details[0]).toMatchObject({ limit: 'villageItemMaxPoints', actual: null });
      const threshold = await post('village_reviewer', f.villageA, item('V02', -1, { type: 'repeat_threshold', threshold: 2, points: 10, scoreEach: false })).expect(422);
      expect(threshold.body.details[0]).toMatchObject({ limit: 'villageItemMaxPoints', actual: 10 });
      expect(await villageItems(f.villageA)).toBe(before);
    });

    it('counts bonus and penalty items separately against the town’s maxima', async () => {
      for (const code of ['V03', 'V04', 'V05', 'V06']) await post('village_reviewer', f.villageA, item(code, 1, { type: 'fixed', points: 1 })).expect(201);
      const sixth = await post('village_reviewer', f.villageA, item('V07', 1, { type: 'fixed', points: 1 })).expect(422);
      expect(sixth.body.details).toEqual([expect.objectContaining({ limit: 'villageMaxBonusItems', allowed: 5, actual: 6 })]);
      await post('town_admin', f.villageA, item('V07', -1, { type: 'fixed', points: 2 })).expect(201);
      expect(await villageItems(f.villageA)).toBe(6);
    });

    it('invalid rules, taken codes, wrong roles and scopes are refused', async () => {
      const before = await villageItems(f.villageA);
      const invalid = await post('village_reviewer', f.villageA, item('V10', 1, { type: 'range', min: 2, max: 1 })).expect(400);
      expect(invalid.body).toMatchObject({ code: 'CATALOG.INVALID_RULE', details: ['rule.min must be less than rule.max'] });
      expect((await post('village_reviewer', f.villageA, item('V10', 1, { type: 'fixed', points: 1 }, { perMonth: 0 })).expect(400)).body.code).toBe('CATALOG.INVALID_RULE');
      expect((await post('village_reviewer', f.villageA, item('V01', -1, { type: 'fixed', points: 1 })).expect(409)).body.code).toBe('CATALOG.ITEM_CODE_TAKEN');
      expect((await post('village_reviewer', f.villageA, item('T01', 1, { type: 'fixed', points: 1 })).expect(400)).body.code).toBe('VALIDATION.FAILED');
      expect((await post('village_clerk', f.villageA, item('V10', 1, { type: 'fixed', points: 1 })).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
      expect((await post('village_reviewer', f.villageB, item('V10', 1, { type: 'fixed', points: 1 })).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await post('other_town_admin', f.villageA, item('V10', 1, { type: 'fixed', points: 1 })).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await post('town_admin', randomUUID(), item('V10', 1, { type: 'fixed', points: 1 })).expect(404)).body.code).toBe('ORG.VILLAGE_NOT_FOUND');
      expect(await villageItems(f.villageA)).toBe(before);
      expect((await request(stack.http).get(api('/catalog/items')).query({ villageId: f.villageA }).set('authorization', as.other_town_admin).expect(403)).body.code).toBe(
        'AUTH.OUT_OF_SCOPE',
      );
      expect((await request(stack.http).get(api(`/villages/${f.villageA}/items`)).set('authorization', as.clerk_b).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    });

    it('two concurrent requests cannot both take the last free slot', async () => {
      // Village B: 4 bonus items, then two requests race for the 5th.
      for (const code of ['V01', 'V02', 'V03', 'V04']) await post('town_admin', f.villageB, item(code, 1, { type: 'fixed', points: 1 })).expect(201);
      const results = await Promise.all([post('town_admin', f.villageB, item('V05', 1, { type: 'fixed', points: 1 })), post('town_admin', f.villageB, item('V06', 1, { type: 'fixed', points: 1 }))]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 422]);
      expect(await villageItems(f.villageB)).toBe(5);
    });
  });
});
