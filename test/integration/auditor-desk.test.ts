import ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMELINESS_HEADERS } from '@app/auditor/timeliness-export';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { finalizeNow, personalise, publishMonth, villageA } from './board-helpers';

/** The endpoints the console's auditors' desk added: resident look-up, checkpoints, timeliness export, names in verify. */
describe("auditors' desk endpoints: resident look-up, checkpoint list, timeliness export, verify names", () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let month: { period: string; entryIds: string[] };
  let cycleId: string;
  const get = (path: string, who: FixtureUser | null, query: Record<string, unknown> = {}) => {
    const r = request(stack.http).get(`/api/v1${path}`).query(query);
    return who ? r.set('authorization', t[who]) : r;
  };
  const binary = (r: request.Test) =>
    r.buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 3);
    await personalise(stack, f);
    t = await bearers(stack.http, f);
    const A = villageA(f, t);
    month = await publishMonth(stack, t, A, [
      { residentId: f.residentsA[0], itemCode: 'T10' },
      { residentId: f.residentsA[1], itemCode: 'T10' },
    ]);
    cycleId = await finalizeNow(stack, f.villageA, month.period);
    // Card codes we can search for: one that is a prefix of another, one in the other town.
    await stack.db.query(`UPDATE residents SET card_code = 'QQ1' WHERE id = $1`, [f.residentsA[2]]);
    await stack.db.query(`UPDATE residents SET card_code = 'QQ12' WHERE id = $1`, [f.residentsB[0]]);
    await stack.db.query(`UPDATE residents SET card_code = 'QQ123', name = '李小明' WHERE id = $1`, [f.residentsOther[0]]);
  });
  afterAll(async () => stack?.close());

  describe('GET /residents (town-wide look-up)', () => {
    it('finds by part of the name and by card code (any case), exact card code first, never another town', async () => {
      const byName = await get('/residents', 'auditor', { q: '小明' }).expect(200);
      expect(byName.body.items.map((r: { id: string }) => r.id)).toEqual([f.residentsA[0]]);
      expect(byName.body.items[0]).toMatchObject({ name: '李小明', villageId: f.villageA, villageName: '东村', status: 'active' });
      expect(byName.body.items[0]).not.toHaveProperty('phone');
      const byCard = await get('/residents', 'town_admin', { q: 'qq12' }).expect(200);
      expect(byCard.body).toEqual({ items: [expect.objectContaining({ id: f.residentsB[0], cardCode: 'QQ12', villageName: '西村' })], more: false });
      const prefix = await get('/residents', 'auditor', { q: 'QQ1' }).expect(200);
      expect(prefix.body.items.map((r: { id: string }) => r.id)).toEqual([f.residentsA[2], f.residentsB[0]]);
      const other = await get('/residents', 'other_town_admin', { q: 'QQ1' }).expect(200);
      expect(other.body.items.map((r: { id: string }) => r.id)).toEqual([f.residentsOther[0]]);
    });

    it('limit cuts the list and says there is more', async () => {
      const res = await get('/residents', 'auditor', { q: 'QQ', limit: 1 }).expect(200);
      expect(res.body.items).toHaveLength(1);
      expect(res.body.more).toBe(true);
    });

    it('bad input is a 400 in Chinese naming the field; village and shop roles are refused', async () => {
      for (const query of [{}, { q: '' }, { q: 'x'.repeat(41) }, { q: '王', limit: 0 }, { q: '王', limit: 51 }, { q: '王', limit: 'many' }]) {
        const res = await get('/residents', 'auditor', query).expect(400);
        expect(res.body.code, JSON.stringify(query)).toBe('VALIDATION.FAILED');
        expect(res.body.message).toMatch(/[\u4e00-\u9fff]/);
        expect(res.body.details[0].field).toBe('limit' in query ? 'limit' : 'q');
      }
      expect((await get('/residents', null, { q: '王' }).expect(401)).body.code).toBe('AUTH.UNAUTHENTICATED');
      for (const who of ['village_clerk', 'village_reviewer', 'shop_clerk'] as const) {
        expect((await get('/residents', who, { q: '王' }).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
      }
    });
  });

  describe('GET /audit/checkpoints', () => {
    it('lists the finalized cycle with the hash on the cycle, its account count and a board link that opens', async () => {
      const res = await get('/audit/checkpoints', 'auditor').expect(200);
      const [cycle] = await stack.db.query(`SELECT checkpoint_hash, published_at FROM review_cycles WHERE id = $1`, [cycleId]);
      const [cp] = await stack.db.query(`SELECT jsonb_array_length(heads)::int AS n FROM cycle_checkpoints WHERE cycle_id = $1`, [cycleId]);
      expect(res.body.items).toEqual([
        {
          cycleId,
          villageId: f.villageA,
          villageCode: expect.any(String),
          villageName: '东村',
          period: month.period,
          hash: cycle.checkpoint_hash,
          accounts: cp.n,
          createdAt: expect.any(String),
          publishedAt: new Date(cycle.published_at).toISOString(),
          boardUrl: `/api/v1/public/boards/${f.villageA}/${month.period}.html`,
        },
      ]);
      const board = await request(stack.http).get(res.body.items[0].boardUrl).expect(200);
      expect(board.text).toContain(cycle.checkpoint_hash);
    });

    it('filters by village and period; another town sees none of it; bad filters are 400, a foreign village 403', async () => {
      expect((await get('/audit/checkpoints', 'auditor', { villageId: f.villageB }).expect(200)).body.items).toEqual([]);
      expect((await get('/audit/checkpoints', 'auditor', { villageId: f.villageA, periodFrom: month.period, periodTo: month.period }).expect(200)).body.items).toHaveLength(1);
      expect((await get('/audit/checkpoints', 'auditor', { periodFrom: '2099-01' }).expect(200)).body.items).toEqual([]);
      expect((await get('/audit/checkpoints', 'other_town_admin').expect(200)).body.items).toEqual([]);
      expect((await get('/audit/checkpoints', 'auditor', { villageId: f.villageOther }).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await get('/audit/checkpoints', 'auditor', { villageId: 'nope' }).expect(400)).body.details[0].field).toBe('villageId');
      expect((await get('/audit/checkpoints', 'auditor', { periodFrom: '2026-13' }).expect(400)).body.details[0].field).toBe('periodFrom');
      const reversed = await get('/audit/checkpoints', 'auditor', { periodFrom: '2026-05', periodTo: '2026-04' }).expect(400);
      expect(reversed.body.details[0]).toMatchObject({ field: 'periodFrom' });
      expect(reversed.body.details[0].message).toMatch(/不能晚于/);
    });
  });

  describe('GET /audit/timeliness.xlsx|.csv', () => {
    it('one row per village and month, the same values as the JSON', async () => {
      const [y, m] = month.period.split('-').map(Number);
      const prev = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
      const json = [(await get('/audit/timeliness', 'auditor', { period: prev }).expect(200)).body, (await get('/audit/timeliness', 'auditor', { period: month.period }).expect(200)).body];
      const res = await binary(get('/audit/timeliness.xlsx', 'auditor', { from: prev, to: month.period })).expect(200);
      expect(res.headers['content-type']).toContain('spreadsheetml');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.body as unknown as ArrayBuffer);
      const sheet = wb.getWorksheet('评议时效')!;
      const rows = sheet.getSheetValues().slice(1).map((r) => (r as unknown[]).slice(1));
      expect(rows[0]).toEqual(TIMELINESS_HEADERS);
      const body = rows.slice(1);
      expect(body).toHaveLength(json[0].villages.length + json[1].villages.length);
      const col = (h: string) => TIMELINESS_HEADERS.indexOf(h);
      const expected = json.flatMap((mo: { period: string; villages: Array<{ villageName: string; state: string | null; closeLate: boolean; objections: number }> }) =>
        mo.villages.map((v) => [mo.period, v.villageName, v.state === 'finalized' ? '已入账' : v.state === null ? '未开始' : expect.any(String), v.closeLate ? '是' : undefined, v.objections]),
      );
      expect(body.map((r) => [r[col('期间')], r[col('村（社区）')], r[col('状态')], r[col('逾期关账')] || undefined, r[col('异议数')]])).toEqual(expected);
      const finalized = body.find((r) => r[col('期间')] === month.period && r[col('村（社区）')] === '东村')!;
      expect(finalized[col('状态')]).toBe('已入账');
      expect(finalized[col('入账时间')]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);

      const csv = await binary(get('/audit/timeliness.csv', 'auditor', { from: month.period })).expect(200);
      const text = (csv.body as Buffer).toString('utf8');
      expect(text.charCodeAt(0)).toBe(0xfeff);
      const records = parseCsv(text.slice(1)) as string[][];
      expect(records[0]).toEqual(TIMELINESS_HEADERS);
      expect(records.slice(1).map((r) => r[col('村（社区）')])).toEqual(json[1].villages.map((v: { villageName: string }) => v.villageName));
    });

    it('another town exports only its own villages', async () => {
      const res = await binary(get('/audit/timeliness.csv', 'other_town_admin', { from: month.period })).expect(200);
      const records = parseCsv((res.body as Buffer).toString('utf8').slice(1)) as string[][];
      expect(records.slice(1).map((r) => r[2])).toEqual(['邻村']);
    });

    it('bad ranges are a 400 in Chinese on the field', async () => {
      expect((await get('/audit/timeliness.xlsx', 'auditor').expect(400)).body.details[0].field).toBe('from');
      expect((await get('/audit/timeliness.xlsx', 'auditor', { from: '2026-1' }).expect(400)).body.details[0].field).toBe('from');
      expect((await get('/audit/timeliness.csv', 'auditor', { from: '2026-01', to: '2026-13' }).expect(400)).body.details[0].field).toBe('to');
      const reversed = await get('/audit/timeliness.xlsx', 'auditor', { from: '2026-05', to: '2026-04' }).expect(400);
      expect(reversed.body).toMatchObject({ code: 'VALIDATION.FAILED', details: [expect.objectContaining({ field: 'from' })] });
      const long = await get('/audit/timeliness.xlsx', 'auditor', { from: '2024-01', to: '2026-01' }).expect(400);
      expect(long.body.details[0].field).toBe('to');
      expect(long.body.details[0].message).toContain('最多相隔 24 个月');
      expect((await get('/audit/timeliness.xlsx', 'auditor', { from: '2024-01', to: '2025-12' }).expect(200)).headers['content-type']).toContain('spreadsheetml');
    });
  });

  describe('GET /audit/log names the actor', () => {
    it("a staff row carries the actor's username and name", async () => {
      const res = await get('/audit/log', 'auditor', { action: 'cycle.publish' }).expect(200);
      expect(res.body.items[0]).toMatchObject({ actorId: f.users.village_reviewer.id, actorUsername: f.users.village_reviewer.username, actorRole: 'village_reviewer' });
    });
  });

  describe('GET /audit/verify names the resident of the first broken link', () => {
    it('a clean ledger: no broken link, no accounts named', async () => {
      const res = await get('/audit/verify', 'auditor').expect(200);
      expect(res.body).toMatchObject({ ok: true, firstBroken: null, accounts: [] });
    });

    it('a tampered posting: account, seq, what differs, and whose account it is', async () => {
      const accountId = f.residentsA[0];
      const [p] = await stack.db.query(`SELECT seq FROM postings WHERE account_id = $1 ORDER BY seq DESC LIMIT 1`, [accountId]);
      await stack.db.query(`ALTER TABLE postings DISABLE TRIGGER postings_append_only`);
      try {
        await stack.db.query(`UPDATE postings SET points = 500 WHERE account_id = $1 AND seq = $2`, [accountId, p.seq]);
      } finally {
        await stack.db.query(`ALTER TABLE postings ENABLE TRIGGER postings_append_only`);
      }
      const res = await get('/audit/verify', 'auditor').expect(200);
      const [card] = await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [accountId]);
      const account = { residentId: accountId, residentName: '李小明', cardCode: card.card_code, villageId: f.villageA, villageName: '东村' };
      expect(res.body.ok).toBe(false);
      expect(res.body.firstBroken).toEqual({
        source: 'ledger',
        link: { accountId, seq: p.seq, problem: 'hash_mismatch', expected: expect.stringMatching(/^[0-9a-f]{64}$/), found: expect.stringMatching(/^[0-9a-f]{64}$/) },
        account,
        villageName: '东村',
      });
      expect(res.body.accounts).toEqual([account]);
      // The other town's auditor-side answer is untouched.
      expect((await get('/audit/verify', 'other_town_admin').expect(200)).body).toMatchObject({ ok: true, accounts: [] });
    });
  });
});
