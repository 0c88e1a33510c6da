import { randomUUID } from 'node:crypto';
import ExcelJS from 'exceljs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { LedgerService } from '@app/ledger/ledger.service';
import { YearEndService } from '@app/ledger/year-end.service';
import type { PostingRequest } from '@app/ledger/ledger.types';
import { STATEMENT_HEADERS } from '@app/ledger/statement.service';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { waitFor } from '../support/wait-for';
import { JobQueue } from '@app/queue/job-queue.service';

const YEAR = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();
const PERIOD = `${YEAR}-03`;

describe('ledger API: corrections, opening balances, year end, statements, verification', () => {
  let stack: TestStack;
  let f: TownFixture;
  let auth: Record<FixtureUser, string>;
  let ledger: LedgerService;

  const deed = (accountId: string, points: number, extra: Partial<PostingRequest> = {}): PostingRequest => ({
    accountId,
    kind: 'deed',
    points,
    sourceRef: `entry:${randomUUID()}`,
    counterparty: `town:${f.townId}`,
    period: PERIOD,
    ...extra,
  });
  const post = (path: string, who: FixtureUser, body: unknown) => request(stack.http).post(`/api/v1${path}`).set('authorization', auth[who]).send(body as object);
  const get = (path: string, who: FixtureUser) => request(stack.http).get(`/api/v1${path}`).set('authorization', auth[who]);
  const accountOf = async (id: string) =>
    (await stack.db.query(`SELECT balance, credit_score AS "creditScore", seq, rating_year AS "ratingYear" FROM accounts WHERE resident_id = $1`, [id]))[0];
  const count = async (sql: string, params: unknown[] = []) => (await stack.db.query(sql, params))[0].n as number;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    f = await seedTown(stack.db, 4);
    auth = await bearers(stack.http, f);
    ledger = stack.api.get(LedgerService);
  });
  afterAll(async () => {
    await stack?.close();
  });

  describe('corrections', () => {
    let deedA: string;
    let deedA2: string;
    let redemptionA: string;
    let deedB: string;
    const resident = () => f.residentsA[0];

    beforeAll(async () => {
      const r = await ledger.postBatch([deed(resident(), 10), deed(resident(), 6), deed(f.residentsB[0], 4)]);
      [deedA, deedA2, deedB] = r.postings.map((p) => p.id);
      const red = await ledger.postBatch([{ accountId: resident(), kind: 'redemption', points: -5, sourceRef: `redemption:${randomUUID()}`, counterparty: `shop:${f.shopA}`, period: PERIOD, requireCovered: true }]);
      redemptionA = red.postings[0].id;
    });

    it('a village reviewer reverses a deed of their village: correction row, correction posting, audit', async () => {
      const res = await post('/ledger/corrections', 'village_reviewer', { postingId: deedA, type: 'reversal', reason: '议事会复核：记录有误' }).expect(201);
      expect(res.body).toMatchObject({ type: 'reversal', originalPostingId: deedA, residentId: resident(), points: -10, reason: '议事会复核：记录有误', seq: 4, balance: 1, creditScore: 1006 });
      const [c] = await stack.db.query(`SELECT type, points, reason, created_by AS "createdBy" FROM ledger_corrections WHERE id = $1`, [res.body.correctionId]);
      expect(c).toEqual({ type: 'reversal', points: -10, reason: '议事会复核：记录有误', createdBy: f.users.village_reviewer.id });
      const [p] = await stack.db.query(`SELECT kind, points, source_ref AS "sourceRef", memo FROM postings WHERE id = $1`, [res.body.postingId]);
      expect(p).toEqual({ kind: 'correction', points: -10, sourceRef: res.body.correctionId, memo: `冲正 #${deedA}：议事会复核：记录有误` });
      expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'ledger.correct' AND target_id = $1`, [deedA])).toBe(1);
      expect(await accountOf(resident())).toMatchObject({ balance: 1, creditScore: 1006 });
    });

    it('a posting is reversed once (409), and not amended after a reversal', async () => {
      const again = await post('/ledger/corrections', 'town_admin', { postingId: deedA, type: 'reversal', reason: '再次冲正' }).expect(409);
      expect(again.body.code).toBe('LEDGER.ALREADY_REVERSED');
      const amend = await post('/ledger/corrections', 'town_admin', { postingId: deedA, type: 'amount', points: 3, reason: '调整' }).expect(409);
      expect(amend.body.code).toBe('LEDGER.ALREADY_REVERSED');
      expect(await count(`SELECT count(*)::int AS n FROM ledger_corrections WHERE original_posting_id = $1`, [deedA])).toBe(1);
    });

    it('a town admin amends an amount; a later reversal undoes the net effect', async () => {
      const res = await post('/ledger/corrections', 'town_admin', { postingId: deedA2, type: 'amount', points: -2, reason: '分值应为 4' }).expect(201);
      expect(res.body).toMatchObject({ points: -2, creditScore: 1004, balance: -1 });
      const rev = await post('/ledger/corrections', 'town_admin', { postingId: deedA2, type: 'reversal', reason: '整笔撤销' }).expect(201);
      expect(rev.body).toMatchObject({ points: -4, creditScore: 1000 });
    });

    it('refuses bad input: unknown posting 404, not a deed 409, amount 0 / missing / reversal with points 400', async () => {
      expect((await post('/ledger/corrections', 'town_admin', { postingId: '999999999', type: 'reversal', reason: '不存在' }).expect(404)).body.code).toBe('LEDGER.POSTING_NOT_FOUND');
      expect((await post('/ledger/corrections', 'town_admin', { postingId: redemptionA, type: 'reversal', reason: '兑换不能更正' }).expect(409)).body.code).toBe('LEDGER.NOT_CORRECTABLE');
      const zero = await post('/ledger/corrections', 'town_admin', { postingId: deedB, type: 'amount', points: 0, reason: '零分' }).expect(400);
      expect(zero.body.code).toBe('VALIDATION.FAILED');
      expect(zero.body.details).toEqual([{ field: 'points', constraints: expect.objectContaining({ notEquals: expect.any(String) }), message: expect.stringMatching(/^调整的分值（points）不正确：.*不能为 0/) }]);
      expect((await post('/ledger/corrections', 'town_admin', { postingId: deedB, type: 'amount', reason: '缺分值' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
      expect((await post('/ledger/corrections', 'town_admin', { postingId: deedB, type: 'reversal', points: 3, reason: '多余分值' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
      expect((await post('/ledger/corrections', 'town_admin', { postingId: 'abc', type: 'reversal', reason: '编号错误' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
      expect(await count(`SELECT count(*)::int AS n FROM ledger_corrections WHERE original_posting_id = $1`, [deedB])).toBe(0);
    });

    it('scope and roles: other village / other town 403 AUTH.OUT_OF_SCOPE; clerk, auditor 403 AUTH.FORBIDDEN', async () => {
      const body = { postingId: deedB, type: 'reversal', reason: '越权' };
      expect((await post('/ledger/corrections', 'village_reviewer', body).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await post('/ledger/corrections', 'other_town_admin', body).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await post('/ledger/corrections', 'village_clerk', body).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
      expect((await post('/ledger/corrections', 'auditor', body).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
      expect(await count(`SELECT count(*)::int AS n FROM ledger_corrections WHERE original_posting_id = $1`, [deedB])).toBe(0);
    });
  });

  describe('opening balances', () => {
    const [r1, r2, r3] = [() => f.residentsB[1], () => f.residentsB[2], () => f.residentsB[3]];

    it('posts once per resident: balance only, credit score untouched, audited', async () => {
      const res = await post('/ledger/opening-balances', 'town_admin', { sourceDocument: '西村 2025 年纸质台账', lines: [{ residentId: r1(), points: 120, note: '结转' }, { residentId: r2(), points: 0 }] }).expect(201);
      expect(res.body).toMatchObject({ posted: 2, totalPoints: 120, sourceDocument: '西村 2025 年纸质台账' });
      expect(await accountOf(r1())).toMatchObject({ balance: 120, creditScore: 1000, seq: 1 });
      const [p] = await stack.db.query(`SELECT kind, source_ref AS "sourceRef", memo FROM postings WHERE account_id = $1`, [r1()]);
      expect(p).toEqual({ kind: 'opening_balance', sourceRef: `opening:${r1()}`, memo: '期初余额（西村 2025 年纸质台账）：结转' });
      expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'ledger.opening_balances' AND target_id = $1`, [f.townId])).toBe(1);
    });

    it('a second time is 409 with the residents listed, and nothing of the request is stored', async () => {
      const before = await count(`SELECT count(*)::int AS n FROM postings`);
      const res = await post('/ledger/opening-balances', 'town_admin', { sourceDocument: '重复', lines: [{ residentId: r3(), points: 5 }, { residentId: r1(), points: 7 }] }).expect(409);
      expect(res.body.code).toBe('LEDGER.OPENING_BALANCE_EXISTS');
      expect(res.body.details).toEqual({ residentIds: [r1()] });
      expect(await count(`SELECT count(*)::int AS n FROM postings`)).toBe(before);
      expect(await count(`SELECT count(*)::int AS n FROM postings WHERE account_id = $1`, [r3()])).toBe(0);
    });

    it('refuses residents outside the town (403), duplicates, negatives, oversized lists (400) and other roles (403)', async () => {
      const out = await post('/ledger/opening-balances', 'town_admin', { sourceDocument: 'x', lines: [{ residentId: r3(), points: 5 }, { residentId: f.residentsOther[0], points: 5 }] }).expect(403);
      expect(out.body).toMatchObject({ code: 'AUTH.OUT_OF_SCOPE', details: { residentIds: [f.residentsOther[0]] } });
      const dup = await post('/ledger/opening-balances', 'town_admin', { sourceDocument: 'x', lines: [{ residentId: r3(), points: 5 }, { residentId: r3(), points: 6 }] }).expect(400);
      expect(dup.body.code).toBe('LEDGER.DUPLICATE_LINES');
      expect((await post('/ledger/opening-balances', 'town_admin', { sourceDocument: 'x', lines: [{ residentId: r3(), points: -1 }] }).expect(400)).body.code).toBe('VALIDATION.FAILED');
      const big = await post('/ledger/opening-balances', 'town_admin', { sourceDocument: 'x', lines: Array.from({ length: 5001 }, () => ({ residentId: randomUUID(), points: 1 })) }).expect(400);
      expect(big.body.code).toBe('VALIDATION.FAILED');
      expect(big.body.details).toEqual([{ field: 'lines', constraints: { arrayMaxSize: expect.any(String) }, message: expect.stringMatching(/（lines）不正确：最多 \d+ 项/) }]);
      expect((await post('/ledger/opening-balances', 'village_clerk', { sourceDocument: 'x', lines: [{ residentId: r3(), points: 5 }] }).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
      expect(await count(`SELECT count(*)::int AS n FROM postings WHERE account_id = $1`, [r3()])).toBe(0);
    });
  });

  describe('statements', () => {
    const resident = () => f.residentsA[1];
    let item: { code: string; name: string };
    let firstDeed: string;

    beforeAll(async () => {
      [item] = await stack.db.query(
        `SELECT ci.code, ci.name FROM catalog_items ci JOIN catalog_adoptions ca ON ca.version_id = ci.version_id WHERE ca.town_id = $1 ORDER BY ci.code LIMIT 1`,
        [f.townId],
      );
      const r = await ledger.postBatch([deed(resident(), 20, { itemCode: item.code }), deed(resident(), -3)]);
      firstDeed = r.postings[0].id;
      await ledger.postBatch([{ accountId: resident(), kind: 'redemption', points: -5, sourceRef: `redemption:${randomUUID()}`, counterparty: `shop:${f.shopA}`, period: PERIOD, requireCovered: true }]);
      await post('/ledger/corrections', 'town_admin', { postingId: firstDeed, type: 'amount', points: -4, reason: '复核减分' }).expect(201);
    });

    it('lists every posting with item name, reason, running balance and running credit score', async () => {
      const res = await get(`/residents/${resident()}/statement`, 'village_clerk').expect(200);
      expect(res.body).toMatchObject({ residentId: resident(), villageName: '东村', openingBalance: 0, closingBalance: 8, currentBalance: 8, currentCreditScore: 1013 });
      expect(res.body.lines.map((l: { kind: string; points: number; balance: number; creditScore: number }) => [l.kind, l.points, l.balance, l.creditScore])).toEqual([
        ['deed', 20, 20, 1020],
        ['deed', -3, 17, 1017],
        ['redemption', -5, 12, 1017],
        ['correction', -4, 8, 1013],
      ]);
      expect(res.body.lines[0]).toMatchObject({ itemCode: item.code, itemName: item.name, kindLabel: '积分事项', seq: 1 });
      expect(res.body.lines[3]).toMatchObject({ reason: '复核减分', originalPostingId: firstDeed, itemCode: item.code, kindLabel: '更正' });
      expect(res.body.lines[0].date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    });

    it('a range after the postings shows them in the opening balance; from > to is 400', async () => {
      const res = await get(`/residents/${resident()}/statement?from=${YEAR + 1}-01&to=${YEAR + 1}-12`, 'auditor').expect(200);
      expect(res.body).toMatchObject({ openingBalance: 8, closingBalance: 8, lines: [] });
      expect((await get(`/residents/${resident()}/statement?from=${YEAR}-05&to=${YEAR}-01`, 'auditor').expect(400)).body.code).toBe('VALIDATION.FAILED');
      expect((await get(`/residents/${resident()}/statement?from=2026-13`, 'auditor').expect(400)).body.code).toBe('VALIDATION.FAILED');
    });

    it('scope: another village 403 OUT_OF_SCOPE, shop clerk 403 FORBIDDEN, unknown resident 404', async () => {
      expect((await get(`/residents/${resident()}/statement`, 'clerk_b').expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await get(`/residents/${resident()}/statement`, 'other_town_admin').expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await get(`/residents/${resident()}/statement`, 'shop_clerk').expect(403)).body.code).toBe('AUTH.FORBIDDEN');
      expect((await get(`/residents/${randomUUID()}/statement`, 'town_admin').expect(404)).body.code).toBe('LEDGER.ACCOUNT_NOT_FOUND');
    });

    it('exports CSV (UTF-8 BOM, Chinese header row) and XLSX (same header row, one row per posting)', async () => {
      const csv = await get(`/residents/${resident()}/statement.csv`, 'village_reviewer').expect(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toContain('.csv');
      const text = csv.text;
      expect(text.charCodeAt(0)).toBe(0xfeff);
      const lines = text.slice(1).trim().split('\n');
      expect(lines[0]).toBe(STATEMENT_HEADERS.join(','));
      expect(lines[0]).toContain('余额');
      expect(lines).toHaveLength(5);

      const xlsx = await get(`/residents/${resident()}/statement.xlsx`, 'town_admin')
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => cb(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(xlsx.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(xlsx.body as unknown as Parameters<typeof wb.xlsx.load>[0]);
      const sheet = wb.getWorksheet('对账单');
      expect(sheet).toBeDefined();
      expect((sheet?.getRow(1).values as unknown[]).slice(1)).toEqual(STATEMENT_HEADERS);
      expect(sheet?.actualRowCount).toBe(5);
      expect(sheet?.getRow(5).getCell(STATEMENT_HEADERS.indexOf('余额') + 1).value).toBe(8);
    });
  });

  describe('verification endpoint', () => {
    it('auditor and town admin verify the whole town; clerks may not', async () => {
      const res = await get('/ledger/verify', 'auditor').expect(200);
      expect(res.body).toMatchObject({ townId: f.townId, ok: true, broken: [] });
      expect(res.body.postingsChecked).toBeGreaterThanOrEqual(10);
      expect(res.body.accountsChecked).toBeGreaterThanOrEqual(4);
      await get('/ledger/verify', 'town_admin').expect(200);
      expect((await get('/ledger/verify', 'village_clerk').expect(403)).body.code).toBe('AUTH.FORBIDDEN');
    });
  });

  describe('rating year end (run on the neighbouring town, so the tests above keep their year)', () => {
    it('the endpoint refuses a year not yet over and enqueues a past one; roles checked', async () => {
      expect((await post('/ledger/year-end', 'town_admin', { year: YEAR }).expect(409)).body.code).toBe('LEDGER.YEAR_NOT_ENDED');
      const res = await post('/ledger/year-end', 'town_admin', { year: YEAR - 1 }).expect(202);
      expect(res.body).toEqual({ jobId: `ledger-year-end-${f.townId}-${YEAR - 1}`, queued: true });
      // The worker runs it (nothing is in that year here, so it completes without changes).
      const job = await stack.api.get(JobQueue).queue('ledger').getJob(res.body.jobId);
      expect(job?.data).toEqual({ townId: f.townId, year: YEAR - 1 });
      await waitFor(async () => (await job?.getState()) === 'completed', { timeoutMs: 15_000, description: 'the year-end job to complete' });
      expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'ledger.year_end.request' AND target_id = $1`, [f.townId])).toBe(1);
      expect((await post('/ledger/year-end', 'auditor', { year: YEAR - 1 }).expect(403)).body.code).toBe('AUTH.FORBIDDEN');
      expect((await post('/ledger/year-end', 'town_admin', { year: 'last' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    });

    it('archives score and grade, expires positive balances, opens the next year at base (+ its early deeds), and is idempotent', async () => {
      const town = f.otherTownId;
      const [rich, poor, early] = f.residentsOther;
      await stack.db.query(`UPDATE towns SET expire_balance_at_year_end = true WHERE id = $1`, [town]);
      const issue = (accountId: string, points: number, period = PERIOD): PostingRequest => ({ ...deed(accountId, points), counterparty: `town:${town}`, period });
      await ledger.postBatch([issue(rich, 60), issue(poor, -30), issue(early, 5)]);
      // A deed of next year's January posted before the year end ran: it counts for next year.
      await ledger.postBatch([issue(early, 7, `${YEAR + 1}-01`)]);
      expect(await accountOf(early)).toMatchObject({ balance: 12, creditScore: 1005 });

      const first = await stack.api.get(YearEndService).runYearEnd(town, YEAR);
      expect(first).toEqual({ townId: town, year: YEAR, accounts: 3, archived: 3, expired: 2 });
      const ratings = await stack.db.query(`SELECT resident_id AS "residentId", credit_score AS "creditScore", grade FROM yearly_ratings WHERE year = $1 AND town_id = $2 ORDER BY credit_score`, [YEAR, town]);
      expect(ratings).toEqual([
        { residentId: poor, creditScore: 970, grade: 'A' },
        { residentId: early, creditScore: 1005, grade: 'A' },
        { residentId: rich, creditScore: 1060, grade: 'AAA' },
      ]);
      expect(await accountOf(rich)).toEqual({ balance: 0, creditScore: 1000, seq: 2, ratingYear: YEAR + 1 });
      expect(await accountOf(poor)).toEqual({ balance: -30, creditScore: 1000, seq: 1, ratingYear: YEAR + 1 });
      expect(await accountOf(early)).toEqual({ balance: 0, creditScore: 1007, seq: 3, ratingYear: YEAR + 1 });
      const [expiry] = await stack.db.query(`SELECT points, source_ref AS "sourceRef", period FROM postings WHERE account_id = $1 AND kind = 'expiry'`, [rich]);
      expect(expiry).toEqual({ points: -60, sourceRef: `expiry:${rich}:${YEAR}`, period: `${YEAR}-12` });

      const snapshot = async () => ({
        postings: await count(`SELECT count(*)::int AS n FROM postings WHERE town_id = $1`, [town]),
        ratings: await count(`SELECT count(*)::int AS n FROM yearly_ratings WHERE town_id = $1`, [town]),
        accounts: await stack.db.query(`SELECT resident_id, balance, credit_score, grade, rating_year, seq, head_hash FROM accounts WHERE town_id = $1 ORDER BY resident_id`, [town]),
      });
      const before = await snapshot();
      expect(await stack.api.get(YearEndService).runYearEnd(town, YEAR)).toEqual({ townId: town, year: YEAR, accounts: 0, archived: 0, expired: 0 });
      expect(await snapshot()).toEqual(before);
      expect(await stack.api.get(LedgerVerifier).verifyTown(town)).toMatchObject({ ok: true, broken: [] });
    });
  });
});
