import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_CODE_PATTERN } from '@app/common/http/field-decorators';
import type { PostingRequest } from '@app/ledger/ledger.types';
import { LedgerService } from '@app/ledger/ledger.service';
import { nationalIdCheckChar } from '@app/org/national-id';
import { startStack, type TestStack } from '../support/app';
import { bearer, bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';

let seq = 0;
/** A valid 18-character ID, unique within this file. */
function newId(opts: { year?: number; male?: boolean } = {}): string {
  const n = ++seq;
  const first17 = `371502${opts.year ?? 1970}0101${String(n * 2 + (opts.male === false ? 0 : 1)).padStart(3, '0')}`;
  return first17 + nationalIdCheckChar(first17);
}

describe('organisation: towns, villages, households, residents', () => {
  let stack: TestStack;
  let f: TownFixture;
  let as: Record<FixtureUser, string>;
  let householdA: string;
  let householdB: string;
  const api = (path: string) => `/api/v1${path}`;
  const count = async (sql: string, params: unknown[] = []) => (await stack.db.query(sql, params))[0].n as number;

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 2);
    as = await bearers(stack.http, f);
    [householdA] = (await stack.db.query(`SELECT id FROM households WHERE village_id = $1`, [f.villageA])).map((r: { id: string }) => r.id);
    [householdB] = (await stack.db.query(`SELECT id FROM households WHERE village_id = $1`, [f.villageB])).map((r: { id: string }) => r.id);
  });
  afterAll(async () => {
    await stack?.close();
  });

  describe('towns', () => {
    it('any staff reads their town with default settings', async () => {
      const res = await request(stack.http).get(api('/towns/current')).set('authorization', as.shop_clerk).expect(200);
      expect(res.body).toMatchObject({ id: f.townId, baseScore: 1000, objectionWindowDays: 7, customGradeThresholds: false, villageItemMaxPoints: 2 });
      expect(res.body.gradeThresholds[0]).toEqual({ grade: 'AAA', min: 1050 });
    });

    it('the town admin changes settings; the change is audited with before and after', async () => {
      // Two accounts graded by the default table: 1045 → AA, 1000 → A.
      const [high, low] = f.residentsA;
      const period = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
      const deed = (accountId: string, points: number): PostingRequest => ({ accountId, kind: 'deed', points, sourceRef: `entry:${randomUUID()}`, counterparty: `town:${f.townId}`, period, itemCode: 'T01', memo: 'org test' });
      await stack.api.get(LedgerService).postBatch([deed(high, 45), deed(low, 0)]);
      const grades = async () => Object.fromEntries((await stack.db.query(`SELECT resident_id AS id, grade FROM accounts WHERE resident_id = ANY($1)`, [[high, low]])).map((r: { id: string; grade: string }) => [r.id, r.grade]));
      expect(await grades()).toEqual({ [high]: 'AA', [low]: 'A' });
      const thresholds = [
        { grade: '5★', min: 1061 },
        { grade: '4★', min: 1040 },
        { grade: '0★', min: Number.MIN_SAFE_INTEGER },
      ];
      const res = await request(stack.http)
        .patch(api('/towns/current/settings'))
        .set('authorization', as.town_admin)
        .send({ baseScore: 1000, gradeThresholds: thresholds, objectionWindowDays: 5, holidays: ['2026-10-02', '2026-10-01', '2026-10-01'], villageItemMaxPoints: 3 })
        .expect(200);
      expect(res.body).toMatchObject({ objectionWindowDays: 5, holidays: ['2026-10-01', '2026-10-02'], customGradeThresholds: true, villageItemMaxPoints: 3 });
      expect(res.body.gradeThresholds).toEqual(thresholds);
      const [audit] = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'town.settings.update' AND target_id = $1`, [f.townId]);
      expect(audit.summary.before.objectionWindowDays).toBe(7);
      expect(audit.summary.after.objectionWindowDays).toBe(5);
      // The new table regraded the town's accounts in the same transaction.
      expect(await grades()).toEqual({ [high]: '4★', [low]: '0★' });
      expect(audit.summary.accountsRegraded).toBe(2);
      // A change without a new table leaves grades alone (and says nothing of regrading).
      await request(stack.http).patch(api('/towns/current/settings')).set('authorization', as.town_admin).send({ makeupWorkdays: ['2026-10-10'] }).expect(200);
      const [last] = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'town.settings.update' AND target_id = $1 ORDER BY id DESC LIMIT 1`, [f.townId]);
      expect(last.summary.after).toEqual({ makeupWorkdays: ['2026-10-10'] });
      expect(last.summary).not.toHaveProperty('accountsRegraded');
      // A holiday sent alone is checked against the make-up workdays already saved: a day that
      // is both made every objection's working-day count throw (a 500 for the public form).
      const clash = await request(stack.http).patch(api('/towns/current/settings')).set('authorization', as.town_admin).send({ holidays: ['2026-10-01', '2026-10-10'] }).expect(400);
      expect([clash.body.code, clash.body.details]).toEqual(['ORG.INVALID_SETTINGS', [{ field: 'holidays', problems: ['2026-10-10 is both a holiday and a make-up workday'], message: expect.stringContaining('不能是同一天：2026-10-10') }]]);
      expect(await grades()).toEqual({ [high]: '4★', [low]: '0★' });
    });

    it('invalid settings are refused whole: nothing changes', async () => {
      const bad = await request(stack.http)
        .patch(api('/towns/current/settings'))
        .set('authorization', as.town_admin)
        .send({ objectionWindowDays: 9, gradeThresholds: [{ grade: 'A', min: 900 }], holidays: ['2026-02-30'] })
        .expect(400);
      expect(bad.body.code).toBe('ORG.INVALID_SETTINGS');
      expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual(['gradeThresholds', 'holidays']);
      const [town] = await stack.db.query(`SELECT objection_window_days AS w FROM towns WHERE id = $1`, [f.townId]);
      expect(town.w).toBe(5);
      const empty = await request(stack.http).patch(api('/towns/current/settings')).set('authorization', as.town_admin).send({}).expect(400);
      expect(empty.body.code).toBe('ORG.INVALID_SETTINGS');
    });

    it('only the town admin changes settings', async () => {
      for (const who of ['village_clerk', 'auditor', 'village_reviewer'] as const) {
        const res = await request(stack.http).patch(api('/towns/current/settings')).set('authorization', as[who]).send({ baseScore: 1 }).expect(403);
        expect(res.body.code).toBe('AUTH.FORBIDDEN');
      }
    });
  });

  describe('villages and households', () => {
    it('the town admin creates a village; a duplicate code is 409; a clerk may not', async () => {
      const res = await request(stack.http).post(api('/villages')).set('authorization', as.town_admin).send({ code: 'NC', name: '南村' }).expect(201);
      expect(res.body).toMatchObject({ townId: f.townId, code: 'NC', name: '南村' });
      const dup = await request(stack.http).post(api('/villages')).set('authorization', as.town_admin).send({ code: 'NC', name: '又一个南村' }).expect(409);
      expect(dup.body.code).toBe('ORG.VILLAGE_CODE_TAKEN');
      const clerk = await request(stack.http).post(api('/villages')).set('authorization', as.village_clerk).send({ code: 'BC', name: '北村' }).expect(403);
      expect(clerk.body.code).toBe('AUTH.FORBIDDEN');
      expect(await count(`SELECT count(*)::int AS n FROM villages WHERE town_id = $1`, [f.townId])).toBe(3);
      expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'village.create'`)).toBe(1);
    });

    it('town staff list every village of their town; village staff only their own', async () => {
      const town = await request(stack.http).get(api('/villages')).set('authorization', as.auditor).expect(200);
      expect(town.body.map((v: { id: string }) => v.id)).toEqual(expect.arrayContaining([f.villageA, f.villageB]));
      expect(town.body.map((v: { id: string }) => v.id)).not.toContain(f.villageOther);
      const clerk = await request(stack.http).get(api('/villages')).set('authorization', as.village_clerk).expect(200);
      expect(clerk.body.map((v: { id: string }) => v.id)).toEqual([f.villageA]);
    });

    it('a clerk creates households in their village only', async () => {
      const ok = await request(stack.http).post(api(`/villages/${f.villageA}/households`)).set('authorization', as.village_clerk).send({ code: 'A-100', address: '东街 1 号' }).expect(201);
      expect(ok.body).toMatchObject({ villageId: f.villageA, code: 'A-100', residentCount: 0 });
      const dup = await request(stack.http).post(api(`/villages/${f.villageA}/households`)).set('authorization', as.village_clerk).send({ code: 'A-100' }).expect(409);
      expect(dup.body.code).toBe('ORG.HOUSEHOLD_CODE_TAKEN');
      const other = await request(stack.http).post(api(`/villages/${f.villageA}/households`)).set('authorization', as.clerk_b).send({ code: 'B-1' }).expect(403);
      expect(other.body.code).toBe('AUTH.OUT_OF_SCOPE');
      const otherTown = await request(stack.http).get(api(`/villages/${f.villageA}/households`)).set('authorization', as.other_town_admin).expect(403);
      expect(otherTown.body.code).toBe('AUTH.OUT_OF_SCOPE');
      const missing = await request(stack.http).post(api(`/villages/${randomUUID()}/households`)).set('authorization', as.town_admin).send({ code: 'X-1' }).expect(404);
      expect(missing.body.code).toBe('ORG.VILLAGE_NOT_FOUND');
      expect(await count(`SELECT count(*)::int AS n FROM households WHERE code IN ('B-1', 'X-1')`)).toBe(0);
      const list = await request(stack.http).get(api(`/villages/${f.villageA}/households`)).set('authorization', as.village_reviewer).expect(200);
      expect(list.body.find((h: { code: string }) => h.code === 'A-100')).toMatchObject({ address: '东街 1 号' });
    });
  });

  describe('residents', () => {
    let created: { id: string; cardCode: string };
    let createdNationalId: string;
    const residentsNow = () => count(`SELECT count(*)::int AS n FROM residents`);

    it('a clerk registers a resident: ID reduced to hash + last 4, card code generated, history started', async () => {
      const nationalId = newId({ year: 1956, male: false });
      const res = await request(stack.http)
        .post(api(`/villages/${f.villageA}/residents`))
        .set('authorization', as.village_clerk)
        .send({ householdId: householdA, name: '李小明', nationalId, phone: '13800138000', smsConsent: true })
        .expect(201);
      expect(res.body).toMatchObject({ villageId: f.villageA, name: '李小明', maskedName: '李*明', gender: 'F', birthYear: 1956, idLast4: nationalId.slice(-4), status: 'active', smsConsent: true });
      expect(res.body.cardCode).toMatch(CARD_CODE_PATTERN);
      expect(res.body).not.toHaveProperty('idHash');
      expect(JSON.stringify(res.body)).not.toContain(nationalId);
      const [row] = await stack.db.query(`SELECT id_hash FROM residents WHERE id = $1`, [res.body.id]);
      expect(row.id_hash).toMatch(/^[0-9a-f]{64}$/);
      const events = await stack.db.query(`SELECT from_status, to_status FROM resident_status_events WHERE resident_id = $1`, [res.body.id]);
      expect(events).toEqual([{ from_status: null, to_status: 'active' }]);
      const audits = await stack.db.query(`SELECT summary FROM audit_log WHERE action = 'resident.create' AND target_id = $1`, [res.body.id]);
      expect(audits).toHaveLength(1);
      expect(JSON.stringify(audits)).not.toContain(nationalId);
      created = res.body;
      createdNationalId = nationalId;
    });

    it('a given card code is kept; taken card codes and registered IDs are 409 (in any village)', async () => {
      const ok = await request(stack.http)
        .post(api(`/villages/${f.villageB}/residents`))
        .set('authorization', as.town_admin)
        .send({ householdId: householdB, name: '王五', nationalId: newId(), cardCode: 'XC000001', gender: 'M', birthYear: 1970 })
        .expect(201);
      expect(ok.body.cardCode).toBe('XC000001');
      const before = await residentsNow();
      const card = await request(stack.http)
        .post(api(`/villages/${f.villageA}/residents`))
        .set('authorization', as.town_admin)
        .send({ householdId: householdA, name: '赵六', nationalId: newId(), cardCode: created.cardCode })
        .expect(409);
      expect(card.body.code).toBe('RESIDENT.DUPLICATE_CARD_CODE');
      const dupId = await request(stack.http)
        .post(api(`/villages/${f.villageB}/residents`))
        .set('authorization', as.town_admin)
        .send({ householdId: householdB, name: '李小明', nationalId: createdNationalId.toLowerCase() })
        .expect(409);
      expect(dupId.body.code).toBe('RESIDENT.DUPLICATE_ID');
      expect(await residentsNow()).toBe(before);
    });

    it('bad ID numbers and mismatches are 400 with a stable code; nothing is stored', async () => {
      const before = await residentsNow();
      const valid = newId({ year: 1980, male: true });
      const wrongCheck = valid.slice(0, 17) + (valid[17] === '0' ? '1' : '0');
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ nationalId: wrongCheck }, 'RESIDENT.INVALID_ID'],
        [{ nationalId: '371502800101001' }, 'RESIDENT.LEGACY_ID'],
        [{ nationalId: valid, gender: 'F' }, 'RESIDENT.ID_MISMATCH'],
        [{ nationalId: valid, birthYear: 1981 }, 'RESIDENT.ID_MISMATCH'],
        [{ nationalId: valid, phone: '12345678901' }, 'VALIDATION.FAILED'],
        [{ nationalId: valid, cardCode: 'ab-12' }, 'VALIDATION.FAILED'],
      ];
      for (const [extra, code] of cases) {
        const res = await request(stack.http)
          .post(api(`/villages/${f.villageA}/residents`))
          .set('authorization', as.village_clerk)
          .send({ householdId: householdA, name: '测试', ...extra })
          .expect(400);
        expect(res.body.code).toBe(code);
        expect(JSON.stringify(res.body)).not.toContain(valid);
      }
      const wrongHousehold = await request(stack.http)
        .post(api(`/villages/${f.villageA}/residents`))
        .set('authorization', as.village_clerk)
        .send({ householdId: householdB, name: '测试', nationalId: valid })
        .expect(404);
      expect(wrongHousehold.body.code).toBe('ORG.HOUSEHOLD_NOT_FOUND');
      expect(await residentsNow()).toBe(before);
    });

    it('registration: wrong role is 403 FORBIDDEN, other village or town is 403 OUT_OF_SCOPE, unknown village 404', async () => {
      const body = { householdId: householdA, name: '测试', nationalId: newId() };
      const cases: Array<[FixtureUser, string, number, string]> = [
        ['village_reviewer', f.villageA, 403, 'AUTH.FORBIDDEN'],
        ['auditor', f.villageA, 403, 'AUTH.FORBIDDEN'],
        ['clerk_b', f.villageA, 403, 'AUTH.OUT_OF_SCOPE'],
        ['other_town_admin', f.villageA, 403, 'AUTH.OUT_OF_SCOPE'],
        ['town_admin', randomUUID(), 404, 'ORG.VILLAGE_NOT_FOUND'],
      ];
      for (const [who, village, status, code] of cases) {
        const res = await request(stack.http).post(api(`/villages/${village}/residents`)).set('authorization', as[who]).send(body).expect(status);
        expect(res.body.code).toBe(code);
      }
    });

    it('lists with filters and bounded pages', async () => {
      const all = await request(stack.http).get(api(`/villages/${f.villageA}/residents`)).set('authorization', as.village_reviewer).expect(200);
      expect(all.body.total).toBe(3);
      expect(all.body.items.every((r: { villageId: string; maskedName: string }) => r.villageId === f.villageA && r.maskedName)).toBe(true);
      const byName = await request(stack.http).get(api(`/villages/${f.villageA}/residents`)).query({ q: '小明' }).set('authorization', as.auditor).expect(200);
      expect(byName.body.items.map((r: { id: string }) => r.id)).toEqual([created.id]);
      const byCard = await request(stack.http).get(api(`/villages/${f.villageA}/residents`)).query({ q: created.cardCode.toLowerCase() }).set('authorization', as.auditor).expect(200);
      expect(byCard.body.total).toBe(1);
      const byHousehold = await request(stack.http).get(api(`/villages/${f.villageA}/residents`)).query({ household: householdA, limit: 1, offset: 1 }).set('authorization', as.town_admin).expect(200);
      expect(byHousehold.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
      expect(byHousehold.body.items).toHaveLength(1);
      const tooBig = await request(stack.http).get(api(`/villages/${f.villageA}/residents`)).query({ limit: 201 }).set('authorization', as.town_admin).expect(400);
      expect(tooBig.body.code).toBe('VALIDATION.FAILED');
      const outside = await request(stack.http).get(api(`/villages/${f.villageA}/residents`)).set('authorization', as.clerk_b).expect(403);
      expect(outside.body.code).toBe('AUTH.OUT_OF_SCOPE');
      const shop = await request(stack.http).get(api(`/villages/${f.villageA}/residents`)).set('authorization', as.shop_clerk).expect(403);
      expect(shop.body.code).toBe('AUTH.FORBIDDEN');
    });

    it('reads one resident within scope; 404 for none', async () => {
      const res = await request(stack.http).get(api(`/residents/${created.id}`)).set('authorization', as.village_clerk).expect(200);
      expect(res.body).toMatchObject({ id: created.id, maskedName: '李*明' });
      expect((await request(stack.http).get(api(`/residents/${created.id}`)).set('authorization', as.other_town_admin).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await request(stack.http).get(api(`/residents/${created.id}`)).set('authorization', as.clerk_b).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await request(stack.http).get(api(`/residents/${randomUUID()}`)).set('authorization', as.town_admin).expect(404)).body.code).toBe('RESIDENT.NOT_FOUND');
    });

    it('status changes follow the allowed transitions, each with an event and an audit row', async () => {
      const change = (who: FixtureUser, to: string, id = created.id, effectiveOn = '2026-01-15') =>
        request(stack.http).post(api(`/residents/${id}/status`)).set('authorization', as[who]).send({ to, effectiveOn, reason: '测试变更原因' });
      expect((await change('village_reviewer', 'moved').expect(200)).body.status).toBe('moved');
      const refused = await change('village_reviewer', 'deceased').expect(409);
      expect(refused.body).toMatchObject({ code: 'RESIDENT.INVALID_STATUS_TRANSITION', details: { from: 'moved', to: 'deceased', allowed: ['active'] } });
      expect((await change('town_admin', 'active').expect(200)).body.status).toBe('active');
      expect((await change('village_reviewer', 'deceased').expect(200)).body.status).toBe('deceased');
      for (const to of ['active', 'moved', 'excluded']) {
        expect((await change('town_admin', to).expect(409)).body.code).toBe('RESIDENT.INVALID_STATUS_TRANSITION');
      }
      const events = await stack.db.query(`SELECT from_status AS "from", to_status AS "to" FROM resident_status_events WHERE resident_id = $1 ORDER BY id`, [created.id]);
      expect(events).toEqual([
        { from: null, to: 'active' },
        { from: 'active', to: 'moved' },
        { from: 'moved', to: 'active' },
        { from: 'active', to: 'deceased' },
      ]);
      expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'resident.status' AND target_id = $1`, [created.id])).toBe(3);
    });

    it('status changes: wrong role, out of scope, future date and unknown resident', async () => {
      const target = f.residentsA[0] as string;
      const send = (who: FixtureUser, id: string, effectiveOn = '2026-01-15') =>
        request(stack.http).post(api(`/residents/${id}/status`)).set('authorization', as[who]).send({ to: 'excluded', effectiveOn, reason: '测试变更原因' });
      expect((await send('village_clerk', target).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
      expect((await send('village_reviewer', f.residentsB[0] as string).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await send('other_town_admin', target).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await send('town_admin', target, '2999-01-01').expect(422)).body.code).toBe('RESIDENT.INVALID_EFFECTIVE_DATE');
      expect((await send('town_admin', target, '2026-02-30').expect(400)).body.code).toBe('VALIDATION.FAILED');
      expect((await send('town_admin', randomUUID()).expect(404)).body.code).toBe('RESIDENT.NOT_FOUND');
      const [r] = await stack.db.query(`SELECT status FROM residents WHERE id = $1`, [target]);
      expect(r.status).toBe('active');
      expect(await count(`SELECT count(*)::int AS n FROM resident_status_events WHERE resident_id = $1`, [target])).toBe(0);
    });

    it('residents cannot be deleted', async () => {
      const res = await request(stack.http).delete(api(`/residents/${created.id}`)).set('authorization', as.town_admin).expect(404);
      expect(res.body.code).toBe('ROUTE.NOT_FOUND');
      expect(await count(`SELECT count(*)::int AS n FROM residents WHERE id = $1`, [created.id])).toBe(1);
    });
  });

  describe('staff', () => {
    it("a deactivated user's access token stops working at once, not at its expiry; reactivated, they log in anew", async () => {
      const token = as.clerk_b;
      const me = (t = token) => request(stack.http).get(api('/auth/me')).set('authorization', t);
      await me().expect(200);
      await request(stack.http).post(api(`/staff/${f.users.clerk_b.id}/deactivate`)).set('authorization', as.town_admin).expect(200);
      expect((await me().expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
      await request(stack.http).post(api(`/staff/${f.users.clerk_b.id}/activate`)).set('authorization', as.town_admin).expect(200);
      // Deactivation ended the session: the old token stays refused, a new login works.
      expect((await me().expect(401)).body.code).toBe('AUTH.INVALID_TOKEN');
      const fresh = await bearer(stack.http, f.users.clerk_b.username);
      await me(fresh).expect(200);
      // Another town's admin, an unknown id, a malformed id: refused, and nothing changes.
      expect((await request(stack.http).post(api(`/staff/${f.users.clerk_b.id}/deactivate`)).set('authorization', as.other_town_admin).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await request(stack.http).post(api('/staff/00000000-0000-4000-8000-000000000000/activate')).set('authorization', as.town_admin).expect(404)).body.code).toBe('STAFF.NOT_FOUND');
      expect((await request(stack.http).post(api('/staff/not-an-id/activate')).set('authorization', as.town_admin).expect(400)).body.code).toBe('VALIDATION.FAILED');
      await me(fresh).expect(200);
    });
  });
});
