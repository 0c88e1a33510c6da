import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoResidents } from '@app/database/demo-seed';
import { LedgerService } from '@app/ledger/ledger.service';
import type { PostingRequest } from '@app/ledger/ledger.types';
import { startStack, type TestStack } from '../support/app';
import { bearer, bearers, FIXTURE_PASSWORD, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { object, publishMonth, villageA } from './board-helpers';

/**
 * The town admin's office endpoints (issue 17): roster preview, household page, password reset,
 * retiring village items, and the saved holiday calendar in objection deadlines.
 */
describe('town admin office API', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  const api = (p: string) => `/api/v1${p}`;
  const shanghaiDay = (offsetDays = 0) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + offsetDays * 86_400_000));
  const auditCount = async (action: string) => (await stack.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = $1`, [action]))[0].n as number;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 3);
    t = await bearers(stack.http, f);
  });
  afterAll(async () => stack?.close());

  describe('roster preview, then import', () => {
    const people = demoResidents('RP', 5).slice(0, 4);
    const header = '户号,姓名,性别,出生年份,身份证号,手机号,卡号';
    const line = (household: string, p: (typeof people)[number], phone = '') => `${household},${p.name},${p.gender === 'M' ? '男' : '女'},${p.birthYear},${p.nationalId},${phone},`;
    const csv = (lines: string[]) => Buffer.from([header, ...lines].join('\r\n'), 'utf8');
    const residentsOfA = async () => (await stack.db.query(`SELECT count(*)::int AS n FROM residents WHERE village_id = $1`, [f.villageA]))[0].n as number;

    it('a first preview lists everyone as new and writes nothing; the import then registers them', async () => {
      const file = csv([line('RP-1', people[0]!), line('RP-1', people[1]!), line('RP-2', people[2]!)]);
      const before = await residentsOfA();
      const audits = await auditCount('roster.import');
      const preview = await request(stack.http).post(api(`/villages/${f.villageA}/roster/preview`)).set('authorization', t.village_clerk).attach('file', file, 'roster.csv').expect(200);
      expect(preview.body).toMatchObject({ rows: 3, created: 3, updated: 0, unchanged: 0, canApply: true, errors: [], newHouseholdCodes: ['RP-1', 'RP-2'], householdsCreated: 2 });
      expect(preview.body.newResidents.map((r: { row: number; name: string }) => [r.row, r.name])).toEqual([
        [2, people[0]!.name],
        [3, people[1]!.name],
        [4, people[2]!.name],
      ]);
      // The fixture's residents of village A are not in the file: told, not changed.
      expect(preview.body.notInFile).toHaveLength(3);
      expect(await residentsOfA()).toBe(before);
      expect(await auditCount('roster.import')).toBe(audits);
      expect((await stack.db.query(`SELECT count(*)::int AS n FROM households WHERE village_id = $1 AND code LIKE 'RP-%'`, [f.villageA]))[0].n).toBe(0);

      const applied = await request(stack.http).post(api(`/villages/${f.villageA}/roster`)).set('authorization', t.village_clerk).attach('file', file, 'roster.csv').expect(201);
      expect(applied.body).toMatchObject({ created: 3, updated: 0, moved: 0, unchanged: 0, householdsCreated: 2 });
      expect(await residentsOfA()).toBe(before + 3);
    });

    it('shows changed fields, a household move, a new person and row errors; the import applies exactly that', async () => {
      const bad = `RP-9,某某,男,1980,110105198001010010,,`; // checksum wrong
      const file = csv([line('RP-1', people[0]!, '13812345678'), line('RP-2', { ...people[1]!, name: '改名字' }), line('RP-2', people[2]!), line('RP-3', people[3]!)]);
      const preview = await request(stack.http).post(api(`/villages/${f.villageA}/roster/preview`)).set('authorization', t.village_clerk).attach('file', file, 'roster.csv').expect(200);
      expect(preview.body).toMatchObject({ created: 1, updated: 2, moved: 1, unchanged: 1, canApply: true, newHouseholdCodes: ['RP-3'] });
      const changes = Object.fromEntries(preview.body.changedResidents.map((c: { row: number; changes: unknown[]; moved: boolean }) => [c.row, { changes: c.changes, moved: c.moved }]));
      expect(changes).toEqual({
        2: { moved: false, changes: [{ field: 'phone', label: '手机号', from: null, to: '13812345678' }] },
        3: {
          moved: true,
          changes: [
            { field: 'name', label: '姓名', from: people[1]!.name, to: '改名字' },
            { field: 'householdCode', label: '户号', from: 'RP-1', to: 'RP-2' },
          ],
        },
      });
      expect(preview.body.newResidents.map((r: { name: string }) => r.name)).toEqual([people[3]!.name]);
      const untouched = await stack.db.query(`SELECT name, phone FROM residents WHERE village_id = $1 AND name = ANY($2) ORDER BY name`, [f.villageA, [people[0]!.name, people[1]!.name]]);
      expect(untouched.map((r: { phone: string | null }) => r.phone)).toEqual([null, null]);

      // Errors come back per row in the preview (200), and the import refuses the same file.
      const withError = csv([line('RP-1', people[0]!), bad]);
      const errPreview = await request(stack.http).post(api(`/villages/${f.villageA}/roster/preview`)).set('authorization', t.village_clerk).attach('file', withError, 'roster.csv').expect(200);
      expect(errPreview.body.canApply).toBe(false);
      expect(errPreview.body.errors).toEqual([expect.objectContaining({ row: 3, column: '身份证号', message: expect.stringContaining('第 3 行') })]);
      await request(stack.http).post(api(`/villages/${f.villageA}/roster`)).set('authorization', t.village_clerk).attach('file', withError, 'roster.csv').expect(400);

      const applied = await request(stack.http).post(api(`/villages/${f.villageA}/roster`)).set('authorization', t.town_admin).attach('file', file, 'roster.csv').expect(201);
      expect(applied.body).toMatchObject({ created: 1, updated: 2, moved: 1, unchanged: 1, householdsCreated: 1 });
      const rows = await stack.db.query(
        `SELECT r.name, r.phone, h.code FROM residents r JOIN households h ON h.id = r.household_id WHERE r.village_id = $1 AND h.code LIKE 'RP-%' ORDER BY r.birth_year, r.name`,
        [f.villageA],
      );
      expect(rows).toEqual(
        expect.arrayContaining([
          { name: people[0]!.name, phone: '13812345678', code: 'RP-1' },
          { name: '改名字', phone: null, code: 'RP-2' },
          { name: people[3]!.name, phone: null, code: 'RP-3' },
        ]),
      );
      const [audit] = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'roster.import' ORDER BY id DESC LIMIT 1`);
      expect(audit.summary).toMatchObject({ created: 1, updated: 2, moved: 1 });
      expect(audit.summary.changed).toHaveLength(2);
      // The same file again: nothing left to change.
      const again = await request(stack.http).post(api(`/villages/${f.villageA}/roster/preview`)).set('authorization', t.village_clerk).attach('file', file, 'roster.csv').expect(200);
      expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    });

    it('refuses a missing file, a reviewer, another village and another town', async () => {
      const file = csv([line('RP-1', people[0]!)]);
      expect((await request(stack.http).post(api(`/villages/${f.villageA}/roster/preview`)).set('authorization', t.village_clerk).expect(400)).body.code).toBe('ROSTER.FILE_MISSING');
      expect((await request(stack.http).post(api(`/villages/${f.villageA}/roster/preview`)).set('authorization', t.village_reviewer).attach('file', file, 'r.csv').expect(403)).body.code).toBe('AUTH.FORBIDDEN');
      expect((await request(stack.http).post(api(`/villages/${f.villageB}/roster/preview`)).set('authorization', t.village_clerk).attach('file', file, 'r.csv').expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await request(stack.http).post(api(`/villages/${f.villageA}/roster/preview`)).set('authorization', t.other_town_admin).attach('file', file, 'r.csv').expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await request(stack.http).post(api(`/villages/not-a-uuid/roster/preview`)).set('authorization', t.town_admin).attach('file', file, 'r.csv').expect(400)).body.code).toBe('VALIDATION.FAILED');
      const pdf = Buffer.from('%PDF-1.4 not a table');
      expect((await request(stack.http).post(api(`/villages/${f.villageA}/roster/preview`)).set('authorization', t.village_clerk).attach('file', pdf, 'r.pdf').expect(415)).body.code).toBe('ROSTER.UNSUPPORTED_FORMAT');
    });
  });

  describe('household page', () => {
    it('lists members with balance and grade from their accounts, and the total is their sum', async () => {
      const [a, b, c] = f.residentsA as [string, string, string];
      const period = shanghaiDay().slice(0, 7);
      const deed = (accountId: string, points: number): PostingRequest => ({ accountId, kind: 'deed', points, sourceRef: `entry:${randomUUID()}`, counterparty: `town:${f.townId}`, period, itemCode: 'T01', memo: 'household test' });
      await stack.api.get(LedgerService).postBatch([deed(a, 60), deed(b, -7)]);
      const [{ household_id: householdId }] = await stack.db.query(`SELECT household_id FROM residents WHERE id = $1`, [a]);
      const res = await request(stack.http).get(api(`/households/${householdId}`)).set('authorization', t.auditor).expect(200);
      const byId = Object.fromEntries(res.body.members.map((m: { id: string }) => [m.id, m]));
      expect(byId[a]).toMatchObject({ balance: 60, creditScore: 1060, grade: 'AAA', hasAccount: true });
      expect(byId[b]).toMatchObject({ balance: -7, creditScore: 993, hasAccount: true });
      expect(byId[c]).toMatchObject({ balance: 0, creditScore: 1000, grade: 'A', hasAccount: false });
      const [{ sum }] = await stack.db.query(`SELECT coalesce(sum(p.points), 0)::int AS sum FROM postings p JOIN residents r ON r.id = p.account_id WHERE r.household_id = $1`, [householdId]);
      expect(res.body.totalBalance).toBe(sum);
      expect(res.body.totalBalance).toBe(53);
      expect(res.body).toMatchObject({ villageId: f.villageA, villageName: '东村' });
    });

    it('is scoped: village B clerk, another town → 403; unknown → 404; a bad id → 400', async () => {
      const [{ household_id: householdId }] = await stack.db.query(`SELECT household_id FROM residents WHERE id = $1`, [f.residentsA[0]]);
      expect((await request(stack.http).get(api(`/households/${householdId}`)).set('authorization', t.clerk_b).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await request(stack.http).get(api(`/households/${householdId}`)).set('authorization', t.other_town_admin).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await request(stack.http).get(api(`/households/${randomUUID()}`)).set('authorization', t.town_admin).expect(404)).body.code).toBe('ORG.HOUSEHOLD_NOT_FOUND');
      expect((await request(stack.http).get(api('/households/123')).set('authorization', t.town_admin).expect(400)).body.code).toBe('VALIDATION.FAILED');
      expect((await request(stack.http).get(api(`/households/${householdId}`)).set('authorization', t.shop_clerk).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
    });
  });

  describe('staff password reset', () => {
    it('answers a one-time password once, ends the user’s sessions, and the next login must change it', async () => {
      const created = await request(stack.http)
        .post(api('/staff'))
        .set('authorization', t.town_admin)
        .send({ username: 'reset.me', displayName: '待重置', password: 'first-long-password', role: 'village_clerk', villageId: f.villageA })
        .expect(201);
      const login = await request(stack.http).post(api('/auth/login')).send({ username: 'reset.me', password: 'first-long-password' }).expect(200);
      const old = `Bearer ${login.body.accessToken}`;
      await request(stack.http).get(api('/auth/me')).set('authorization', old).expect(200);

      const reset = await request(stack.http).post(api(`/staff/${created.body.id}/password-reset`)).set('authorization', t.town_admin).expect(200);
      expect(reset.body.oneTimePassword).toMatch(/^[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}$/);
      expect(reset.body.staff).toMatchObject({ id: created.body.id, mustChangePassword: true, active: true });
      expect((await request(stack.http).get(api('/auth/me')).set('authorization', old).expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
      await request(stack.http).post(api('/auth/refresh')).send({ refreshToken: login.body.refreshToken }).expect(401);
      await request(stack.http).post(api('/auth/login')).send({ username: 'reset.me', password: 'first-long-password' }).expect(401);
      const fresh = await request(stack.http).post(api('/auth/login')).send({ username: 'reset.me', password: reset.body.oneTimePassword }).expect(200);
      expect(fresh.body.mustChangePassword).toBe(true);
      expect((await request(stack.http).get(api('/villages')).set('authorization', `Bearer ${fresh.body.accessToken}`).expect(403)).body.code).toBe('AUTH.PASSWORD_CHANGE_REQUIRED');
      const [row] = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'staff.password_reset' AND target_id = $1`, [created.body.id]);
      expect(JSON.stringify(row.summary)).not.toContain(reset.body.oneTimePassword);
    });

    it('refuses oneself, another town’s user, an unknown id and other roles', async () => {
      expect((await request(stack.http).post(api(`/staff/${f.users.town_admin.id}/password-reset`)).set('authorization', t.town_admin).expect(409)).body.code).toBe('STAFF.SELF_RESET');
      expect((await request(stack.http).post(api(`/staff/${f.users.village_clerk.id}/password-reset`)).set('authorization', t.other_town_admin).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await request(stack.http).post(api(`/staff/${randomUUID()}/password-reset`)).set('authorization', t.town_admin).expect(404)).body.code).toBe('STAFF.NOT_FOUND');
      expect((await request(stack.http).post(api(`/staff/${f.users.village_clerk.id}/password-reset`)).set('authorization', t.auditor).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
      expect((await request(stack.http).post(api('/staff/nope/password-reset')).set('authorization', t.town_admin).expect(400)).body.code).toBe('VALIDATION.FAILED');
      // The clerk was not touched by any of those.
      await request(stack.http).post(api('/auth/login')).send({ username: f.users.village_clerk.username, password: FIXTURE_PASSWORD }).expect(200);
    });
  });

  describe('retiring a village item', () => {
    const item = (code: string) => ({ code, category: '人居环境', name: `门前三包${code}`, description: '本村自设', sign: 1, rule: { type: 'fixed', points: 2 } });

    it('takes it out of use from today, frees its place under the limit, keeps its code taken', async () => {
      await request(stack.http).patch(api('/towns/current/settings')).set('authorization', t.town_admin).send({ villageMaxBonusItems: 1 }).expect(200);
      const v01 = await request(stack.http).post(api(`/villages/${f.villageA}/items`)).set('authorization', t.village_reviewer).send(item('V01')).expect(201);
      expect(v01.body).toMatchObject({ retiredOn: null, ruleText: expect.stringContaining('2') });
      expect((await request(stack.http).post(api(`/villages/${f.villageA}/items`)).set('authorization', t.village_reviewer).send(item('V02')).expect(422)).body.code).toBe('CATALOG.VILLAGE_ITEM_LIMIT');
      // An entry with it works before retiring.
      await request(stack.http).post(api(`/villages/${f.villageA}/entries/preview`)).set('authorization', t.village_clerk).send({ residentId: f.residentsA[0], itemCode: 'V01', occurredOn: shanghaiDay() }).expect(200);

      const retired = await request(stack.http).post(api(`/villages/${f.villageA}/items/${v01.body.id}/retire`)).set('authorization', t.town_admin).send({ reason: '村规民约修订' }).expect(200);
      expect(retired.body).toMatchObject({ id: v01.body.id, retiredOn: shanghaiDay() });
      const [audit] = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'catalog.village_item.retire' AND target_id = $1`, [v01.body.id]);
      expect(audit.summary).toMatchObject({ code: 'V01', reason: '村规民约修订' });

      const entry = await request(stack.http).post(api(`/villages/${f.villageA}/entries`)).set('authorization', t.village_clerk).send({ residentId: f.residentsA[0], itemCode: 'V01', occurredOn: shanghaiDay() });
      expect([entry.status, entry.body.code]).toEqual([422, 'ENTRY.ITEM_NOT_IN_CATALOG']);
      const inForce = await request(stack.http).get(api('/catalog/items')).query({ villageId: f.villageA }).set('authorization', t.town_admin).expect(200);
      expect(inForce.body.map((i: { code: string }) => i.code)).not.toContain('V01');
      const listed = await request(stack.http).get(api(`/villages/${f.villageA}/items`)).set('authorization', t.town_admin).expect(200);
      expect(listed.body).toEqual([expect.objectContaining({ code: 'V01', retiredOn: shanghaiDay() })]);
      // Its place is free again; its code is not.
      await request(stack.http).post(api(`/villages/${f.villageA}/items`)).set('authorization', t.village_reviewer).send(item('V02')).expect(201);
      await request(stack.http).patch(api('/towns/current/settings')).set('authorization', t.town_admin).send({ villageMaxBonusItems: 5 }).expect(200);
      expect((await request(stack.http).post(api(`/villages/${f.villageA}/items`)).set('authorization', t.village_reviewer).send(item('V01')).expect(409)).body.code).toBe('CATALOG.ITEM_CODE_TAKEN');
      // Append-only, like the items themselves.
      await expect(stack.db.query(`DELETE FROM catalog_item_retirements WHERE item_id = $1`, [v01.body.id])).rejects.toThrow(/append-only/);
      expect((await request(stack.http).post(api(`/villages/${f.villageA}/items/${v01.body.id}/retire`)).set('authorization', t.town_admin).send({ reason: '再次停用' }).expect(409)).body.code).toBe('CATALOG.ITEM_RETIRED');
    });

    it('refuses a missing reason, another village, an unknown item and a clerk', async () => {
      const v03 = await request(stack.http).post(api(`/villages/${f.villageA}/items`)).set('authorization', t.village_reviewer).send(item('V03')).expect(201);
      const url = api(`/villages/${f.villageA}/items/${v03.body.id}/retire`);
      const noReason = await request(stack.http).post(url).set('authorization', t.town_admin).send({}).expect(400);
      expect(noReason.body.details.map((d: { field: string }) => d.field)).toEqual(['reason']);
      expect((await request(stack.http).post(api(`/villages/${f.villageB}/items/${v03.body.id}/retire`)).set('authorization', t.town_admin).send({ reason: '不对的村' }).expect(404)).body.code).toBe('CATALOG.ITEM_NOT_FOUND');
      expect((await request(stack.http).post(api(`/villages/${f.villageOther}/items/${v03.body.id}/retire`)).set('authorization', t.town_admin).send({ reason: '邻镇的村' }).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await request(stack.http).post(api(`/villages/${f.villageA}/items/${randomUUID()}/retire`)).set('authorization', t.town_admin).send({ reason: '没有此项' }).expect(404)).body.code).toBe('CATALOG.ITEM_NOT_FOUND');
      expect((await request(stack.http).post(url).set('authorization', t.village_clerk).send({ reason: '采集员无权' }).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
      const clerkB = await bearer(stack.http, f.users.clerk_b.username);
      expect((await request(stack.http).post(url).set('authorization', clerkB).send({ reason: '采集员无权' }).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
    });
  });

  describe('objection deadlines follow the saved calendar', () => {
    it('skips the saved holidays and counts a saved make-up Saturday', async () => {
      // From today (Shanghai): S = the first Saturday at least two days ahead; every weekday
      // between today and S is saved as a holiday and S as a make-up workday. One working day
      // after today is then S itself; two are the Monday after it.
      const dayAt = (offset: number) => shanghaiDay(offset);
      const weekday = (offset: number) => new Date(`${dayAt(offset)}T12:00:00Z`).getUTCDay();
      let s = 2;
      while (weekday(s) !== 6) s += 1;
      const holidays = Array.from({ length: s - 1 }, (_, i) => i + 1).filter((o) => weekday(o) !== 0 && weekday(o) !== 6).map(dayAt);
      const saturday = dayAt(s);
      const monday = dayAt(s + 2);
      expect(holidays.length).toBeGreaterThan(0);
      await request(stack.http).patch(api('/towns/current/settings')).set('authorization', t.town_admin).send({ holidays, makeupWorkdays: [saturday], objectionAnswerWorkingDays: 1 }).expect(200);

      const { period, entryIds } = await publishMonth(stack, t, villageA(f, t), [
        { residentId: f.residentsA[1]!, itemCode: 'T10' },
        { residentId: f.residentsA[2]!, itemCode: 'T10' },
      ]);
      const endOf = (day: string) => new Date(`${day}T23:59:59.999+08:00`).toISOString();
      const dueOf = async (id: string) => new Date((await stack.db.query(`SELECT due_at FROM objections WHERE id = $1`, [id]))[0].due_at).toISOString();
      expect(await dueOf(await object(stack, f.villageA, period, entryIds[0]!))).toBe(endOf(saturday));
      await request(stack.http).patch(api('/towns/current/settings')).set('authorization', t.town_admin).send({ objectionAnswerWorkingDays: 2 }).expect(200);
      expect(await dueOf(await object(stack, f.villageA, period, entryIds[1]!))).toBe(endOf(monday));
    });
  });
});
