import { randomUUID } from 'node:crypto';
import ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTING_HEADERS } from '@app/auditor/postings-export';
import { LedgerService } from '@app/ledger/ledger.service';
import type { PostingKind } from '@app/ledger/ledger.entities';
import type { PostingRequest } from '@app/ledger/ledger.types';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { answer, finalizeNow, object, personalise, publishMonth, villageA, villageB, type VillageActors } from './board-helpers';

/** More than one export batch (5,000) so the streamed exports cross a keyset boundary. */
const BULK = 5_200;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

interface Posting {
  id: string;
  postedAt: string;
  period: string;
  kind: string;
  villageId: string;
  residentId: string;
  residentName: string;
  itemCode: string | null;
}

describe("auditors' desk: postings search and exports, statement, audit log, timeliness, verification", () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let A: VillageActors;
  let B: VillageActors;
  let month: { period: string; entryIds: string[] };
  let openMonth: { period: string; entryIds: string[] };
  const get = (path: string, who: FixtureUser | null, query: Record<string, unknown> = {}) => {
    const r = request(stack.http).get(`/api/v1${path}`).query(query);
    return who ? r.set('authorization', t[who]) : r;
  };
  /** Every page of a search, following nextCursor. */
  const allPages = async (query: Record<string, unknown>, who: FixtureUser = 'auditor', limit = 500): Promise<Posting[]> => {
    const out: Posting[] = [];
    let cursor: string | undefined;
    for (;;) {
      const res = await get('/audit/postings', who, { ...query, limit, ...(cursor ? { cursor } : {}) }).expect(200);
      out.push(...res.body.items);
      if (!res.body.nextCursor) return out;
      expect(res.body.items).toHaveLength(limit);
      cursor = res.body.nextCursor;
    }
  };
  /** The truth, straight from SQL, in the same order. */
  const truth = async (where: string, params: unknown[] = []): Promise<string[]> =>
    (await stack.db.query(`SELECT id::text FROM postings p WHERE p.town_id = $1 AND ${where} ORDER BY p.posted_at DESC, p.id DESC`, [f.townId, ...params])).map((r: { id: string }) => r.id);

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 4);
    await personalise(stack, f);
    t = await bearers(stack.http, f);
    A = villageA(f, t);
    B = await villageB(stack, f, t);
    const [r0, r1, r2] = f.residentsA;
    month = await publishMonth(stack, t, A, [
      { residentId: r0, itemCode: 'T10' },
      { residentId: r1, itemCode: 'B02' },
      { residentId: r2, itemCode: 'T57', points: 10, reason: '扑救邻居家火情' },
    ]);
    const late = await object(stack, f.villageA, month.period, month.entryIds[2]);
    // Answered after its due date: the reviewer was late.
    await stack.db.query(`UPDATE objections SET due_at = now() - interval '1 hour' WHERE id = $1`, [late]);
    await answer(stack, A, late, 'dismissed');
    await finalizeNow(stack, f.villageA, month.period);
    openMonth = await publishMonth(stack, t, B, [{ residentId: f.residentsB[0], itemCode: 'T10' }]);
    const overdue = await object(stack, f.villageB, openMonth.period, openMonth.entryIds[0]);
    await stack.db.query(`UPDATE objections SET due_at = now() - interval '1 hour' WHERE id = $1`, [overdue]);

    // Volume: deeds and corrections over several periods and items, in both villages, and some
    // in the other town that must never show up.
    const ledger = stack.api.get(LedgerService);
    const accounts = [...f.residentsA, ...f.residentsB];
    const periods = ['2025-11', '2025-12', '2026-01', '2026-02'];
    const kinds: PostingKind[] = ['deed', 'deed', 'deed', 'correction'];
    const requests: PostingRequest[] = Array.from({ length: BULK }, (_, i) => ({
      accountId: accounts[i % accounts.length],
      kind: kinds[i % kinds.length],
      points: (i % 7) - 2,
      sourceRef: `bulk:${randomUUID()}`,
      counterparty: `town:${f.townId}`,
      period: periods[i % periods.length],
      itemCode: i % 3 === 0 ? 'T20' : 'T10',
      memo: '批量',
    }));
    for (let i = 0; i < requests.length; i += 1300) await ledger.postBatch(requests.slice(i, i + 1300));
    await ledger.postBatch(f.residentsOther.map((accountId) => ({ accountId, kind: 'deed', points: 3, sourceRef: `other:${randomUUID()}`, counterparty: `town:${f.otherTownId}`, period: '2026-01', itemCode: 'T10' })));
  }, 180_000);
  afterAll(async () => stack?.close());

  describe('postings search', () => {
    it('pages the whole town newest first with an opaque cursor: no gaps, no repeats, nothing of another town', async () => {
      const rows = await allPages({});
      const expected = await truth('true');
      expect(expected.length).toBeGreaterThan(BULK);
      expect(rows.map((r) => r.id)).toEqual(expected);
      expect(rows[0]).toMatchObject({ villageName: expect.any(String), residentName: expect.any(String), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(rows.some((r) => r.residentName === '李小明')).toBe(true); // auditors see full names
      const first = await get('/audit/postings', 'auditor').expect(200);
      expect(first.body.items).toHaveLength(50); // default page
      expect(Buffer.from(first.body.nextCursor, 'base64url').toString()).not.toBe(''); // opaque, but ours
    });

    it('every filter returns exactly what SQL says, and filters combine', async () => {
      const [mid] = await stack.db.query(`SELECT to_char(posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at FROM postings WHERE town_id = $1 ORDER BY posted_at, id OFFSET 2000 LIMIT 1`, [f.townId]);
      const cases: Array<[Record<string, unknown>, string, unknown[]]> = [
        [{ residentId: f.residentsA[1] }, 'account_id = $2', [f.residentsA[1]]],
        [{ villageId: f.villageB }, 'village_id = $2', [f.villageB]],
        [{ itemCode: 'T20' }, 'item_code = $2', ['T20']],
        [{ kind: 'correction' }, 'kind = $2', ['correction']],
        [{ periodFrom: '2025-12', periodTo: '2026-01' }, 'period BETWEEN $2 AND $3', ['2025-12', '2026-01']],
        [{ periodFrom: month.period }, 'period >= $2', [month.period]],
        [{ postedFrom: mid.at }, 'posted_at >= $2', [mid.at]],
        [{ postedTo: mid.at }, 'posted_at < $2', [mid.at]],
        [{ villageId: f.villageA, kind: 'deed', itemCode: 'T10', periodTo: '2026-01' }, `village_id = $2 AND kind = 'deed' AND item_code = 'T10' AND period <= '2026-01'`, [f.villageA]],
      ];
      for (const [query, where, params] of cases) {
        const expected = await truth(where, params);
        expect(expected.length, JSON.stringify(query)).toBeGreaterThan(0);
        expect((await allPages(query)).map((r) => r.id), JSON.stringify(query)).toEqual(expected);
      }
    });

    it('town admins may search too; another town sees only its own; out-of-town filters are 403 AUTH.OUT_OF_SCOPE', async () => {
      expect((await get('/audit/postings', 'town_admin', { limit: 5 }).expect(200)).body.items).toHaveLength(5);
      const other = await allPages({}, 'other_town_admin');
      expect(other.map((r) => r.residentId).sort()).toEqual([...f.residentsOther].sort());
      for (const q of [{ villageId: f.villageOther }, { residentId: f.residentsOther[0] }]) {
        expect((await get('/audit/postings', 'auditor', q).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
        expect((await get('/audit/postings.csv', 'auditor', q).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      }
      expect((await get('/audit/postings', 'other_town_admin', { villageId: f.villageA }).expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await get('/audit/postings', 'auditor', { villageId: UNKNOWN }).expect(404)).body.code).toBe('ORG.VILLAGE_NOT_FOUND');
      expect((await get('/audit/postings', 'auditor', { residentId: UNKNOWN }).expect(404)).body.code).toBe('RESIDENT.NOT_FOUND');
    });

    it('refuses bad input with 400 VALIDATION.FAILED', async () => {
      const bad: Array<Record<string, unknown>> = [
        { limit: 501 },
        { limit: 0 },
        { limit: 'abc' },
        { limit: 2.5 },
        { kind: 'gift' },
        { residentId: 'not-a-uuid' },
        { villageId: '123' },
        { itemCode: 'T10; DROP TABLE postings' },
        { periodFrom: '2026-13' },
        { periodTo: '202601' },
        { periodFrom: '2026-03', periodTo: '2026-01' },
        { postedFrom: 'yesterday' },
        { postedTo: '2026-02-30T00:00:00Z' },
        { postedFrom: '2026-03-01T00:00:00Z', postedTo: '2026-01-01T00:00:00Z' },
        { cursor: 'garbage' },
        { cursor: Buffer.from('["2026-01-01T00:00:00.000000Z","1 OR 1=1"]').toString('base64url') },
        { unknownFilter: 'x' },
      ];
      for (const q of bad) {
        const res = await get('/audit/postings', 'auditor', q);
        expect(res.status, JSON.stringify(q)).toBe(400);
        expect(res.body.code, JSON.stringify(q)).toBe('VALIDATION.FAILED');
      }
      const repeated = await request(stack.http).get('/api/v1/audit/postings?kind=deed&kind=correction').set('authorization', t.auditor).expect(400);
      expect(repeated.body.code).toBe('VALIDATION.FAILED');
      expect((await get('/audit/postings.xlsx', 'auditor', { kind: 'gift' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
      expect((await get('/audit/postings.csv', 'auditor', { limit: 10 }).expect(400)).body.code).toBe('VALIDATION.FAILED'); // exports take no page size
    });
  });

  describe('exports', () => {
    it('CSV: UTF-8 BOM, Chinese headers, every matching row across export batches, streamed', async () => {
      const res = await get('/audit/postings.csv', 'auditor').buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toContain('postings.csv');
      const body = res.body as Buffer;
      expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const rows: string[][] = parseCsv(body.toString('utf8').slice(1));
      expect(rows[0]).toEqual(POSTING_HEADERS);
      expect(rows[0]).toContain('记账编号');
      const expected = await truth('true');
      expect(rows.slice(1).map((r) => r[0])).toEqual(expected);
      const filtered = await get('/audit/postings.csv', 'auditor', { villageId: f.villageB, kind: 'correction' }).buffer(true);
      expect(parseCsv(filtered.text.replace(/^\uFEFF/, '')).length - 1).toBe((await truth(`village_id = $2 AND kind = 'correction'`, [f.villageB])).length);
    });

    it('XLSX: one sheet with Chinese headers and every matching row', async () => {
      const res = await get('/audit/postings.xlsx', 'town_admin', { itemCode: 'T10' })
        .buffer(true)
        .parse((r, cb) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => cb(null, Buffer.concat(chunks)));
        });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.body as unknown as Parameters<typeof wb.xlsx.load>[0]);
      const ws = wb.worksheets[0];
      expect(ws.name).toBe('记账明细');
      expect((ws.getRow(1).values as unknown[]).slice(1)).toEqual(POSTING_HEADERS);
      const expected = await truth(`item_code = 'T10'`);
      expect(expected.length).toBeGreaterThan(3000);
      expect(ws.rowCount - 1).toBe(expected.length);
      expect(String(ws.getRow(2).getCell(1).value)).toBe(expected[0]);
      expect(String(ws.getRow(ws.rowCount).getCell(1).value)).toBe(expected[expected.length - 1]);
    });
  });

  it("statement: a resident's 对账单 for auditors of the town, 403 for another town", async () => {
    const res = await get(`/audit/residents/${f.residentsA[0]}/statement`, 'auditor').expect(200);
    expect(res.body).toMatchObject({ residentId: f.residentsA[0], residentName: '李小明', villageName: '东村' });
    const [{ n }] = await stack.db.query(`SELECT count(*)::int AS n FROM postings WHERE account_id = $1`, [f.residentsA[0]]);
    expect(res.body.lines).toHaveLength(n);
    expect(res.body.closingBalance).toBe(res.body.currentBalance);
    expect((await get(`/audit/residents/${f.residentsOther[0]}/statement`, 'auditor').expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect((await get(`/audit/residents/not-a-uuid/statement`, 'auditor').expect(400)).body.code).toBe('VALIDATION.FAILED');
    // The code the OpenAPI document declares for it (it said RESIDENT.NOT_FOUND until 2026-12-03).
    expect((await get(`/audit/residents/00000000-0000-4000-8000-000000000000/statement`, 'auditor').expect(404)).body.code).toBe('LEDGER.ACCOUNT_NOT_FOUND');
  });

  it('audit log: the town’s staff actions, filtered and keyset-paged; another town sees none of them', async () => {
    const res = await get('/audit/log', 'auditor', { action: 'cycle.publish' }).expect(200);
    expect(res.body.items.map((e: { targetType: string }) => e.targetType)).toEqual(['cycle', 'cycle']);
    expect(res.body.items[0]).toMatchObject({ actorType: 'staff', actorRole: 'village_reviewer', action: 'cycle.publish', actorName: expect.any(String) });
    const total = (await stack.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE town_id = $1`, [f.townId]))[0].n;
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await get('/audit/log', 'auditor', { limit: 3, ...(cursor ? { cursor } : {}) }).expect(200);
      seen.push(...page.body.items.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    const byActor = await get('/audit/log', 'auditor', { actorId: f.users.town_admin.id, limit: 500 }).expect(200);
    expect(byActor.body.items.length).toBeGreaterThan(0);
    expect(byActor.body.items.every((e: { actorId: string; action: string }) => e.actorId === f.users.town_admin.id)).toBe(true);
    const objections = await get('/audit/log', 'town_admin', { targetType: 'objection', limit: 500 }).expect(200);
    expect(objections.body.items.map((e: { action: string }) => e.action)).toEqual(['objection.answer']);
    expect((await get('/audit/log', 'auditor', { from: '2099-01-01T00:00:00Z' }).expect(200)).body.items).toEqual([]);
    expect((await get('/audit/log', 'other_town_admin', { action: 'cycle.publish' }).expect(200)).body.items).toEqual([]);
    for (const q of [{ limit: 1000 }, { from: 'last week' }, { action: 'DROP TABLE' }, { cursor: 'x' }, { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }]) {
      expect((await get('/audit/log', 'auditor', q).expect(400)).body.code, JSON.stringify(q)).toBe('VALIDATION.FAILED');
    }
  });

  it('timeliness: per village when each step happened, late and overdue objections, credit export failures', async () => {
    await stack.db.query(
      `UPDATE credit_outbox SET status = 'failed', attempts = 10, last_error = 'platform answered 503' WHERE id = (SELECT min(id) FROM credit_outbox WHERE town_id = $1 AND village_id = $2)`,
      [f.townId, f.villageA],
    );
    const res = await get('/audit/timeliness', 'auditor', { period: month.period }).expect(200);
    const byVillage = Object.fromEntries(res.body.villages.map((v: { villageId: string }) => [v.villageId, v]));
    expect(byVillage[f.villageA]).toMatchObject({
      state: 'finalized',
      closedAt: expect.any(String),
      reviewedAt: expect.any(String),
      publishedAt: expect.any(String),
      finalizedAt: expect.any(String),
      objections: 1,
      answeredLate: 1,
      openOverdue: 0,
      exportFailed: 1,
      exportPending: 2,
      exportLastError: 'platform answered 503',
      finalizeOverdue: false,
    });
    const a = byVillage[f.villageA];
    expect(new Date(a.closedAt) <= new Date(a.reviewedAt) && new Date(a.reviewedAt) <= new Date(a.publishedAt) && new Date(a.publishedAt) <= new Date(a.finalizedAt)).toBe(true);
    expect(byVillage[f.villageB]).toMatchObject({ state: 'publicized', objections: 1, answeredLate: 0, openOverdue: 1, exportFailed: 0, finalizedAt: null });
    expect(res.body.creditExport).toEqual(expect.arrayContaining([expect.objectContaining({ status: 'failed', n: 1, lastError: 'platform answered 503' })]));
    expect((await get('/audit/timeliness', 'auditor', { period: '2026-3' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await get('/audit/timeliness', 'other_town_admin', { period: month.period }).expect(200)).body.villages.map((v: { villageId: string }) => v.villageId)).toEqual([f.villageOther]);
  });

  it('every auditor endpoint: 401 without credentials, 403 AUTH.FORBIDDEN for village and shop roles', async () => {
    const paths = ['/audit/postings', '/audit/postings.csv', '/audit/postings.xlsx', `/audit/residents/${f.residentsA[0]}/statement`, '/audit/log', `/audit/timeliness?period=${month.period}`, '/audit/verify'];
    for (const p of paths) {
      expect((await get(p, null).expect(401)).body.code, p).toBe('AUTH.UNAUTHENTICATED');
      for (const who of ['village_clerk', 'village_reviewer', 'shop_clerk'] as const) {
        expect((await get(p, who).expect(403)).body.code, `${who} ${p}`).toBe('AUTH.FORBIDDEN');
      }
    }
  });

  describe('verification', () => {
    it('a sound ledger: every chain and the finalized checkpoint hold', async () => {
      const res = await get('/audit/verify', 'auditor').expect(200);
      expect(res.body).toMatchObject({ ok: true, firstBroken: null, ledger: { ok: true, broken: [] }, checkpoints: { checked: 1, broken: [] } });
      expect(res.body.ledger.postingsChecked).toBeGreaterThan(BULK);
    });

    it('a rewritten head posting is named: first broken chain link, and the checkpoint head that no longer exists', async () => {
      const [cp] = await stack.db.query(`SELECT heads FROM cycle_checkpoints WHERE village_id = $1`, [f.villageA]);
      const [accountId, seq] = (cp.heads as Array<[string, number, string]>).find(([, s]) => s > 0) as [string, number, string];
      await stack.db.query(`ALTER TABLE postings DISABLE TRIGGER postings_append_only`);
      try {
        await stack.db.query(`UPDATE postings SET points = points + 100, hash = repeat('a', 64) WHERE account_id = $1 AND seq = $2`, [accountId, seq]);
      } finally {
        await stack.db.query(`ALTER TABLE postings ENABLE TRIGGER postings_append_only`);
      }
      const res = await get('/audit/verify', 'town_admin').expect(200);
      expect(res.body.ok).toBe(false);
      expect(res.body.ledger.broken[0]).toMatchObject({ accountId, seq, problem: 'hash_mismatch' });
      expect(res.body.firstBroken).toMatchObject({ source: 'ledger', link: { accountId, seq } });
      expect(res.body.checkpoints.broken).toEqual([expect.objectContaining({ villageId: f.villageA, period: month.period, problem: 'head_missing', accountId, seq, found: 'a'.repeat(64) })]);
    });

    it('a checkpoint whose stored heads were rewritten no longer matches its printed hash', async () => {
      await stack.db.query(`ALTER TABLE cycle_checkpoints DISABLE TRIGGER cycle_checkpoints_append_only`);
      try {
        await stack.db.query(`UPDATE cycle_checkpoints SET heads = heads - 0 WHERE village_id = $1`, [f.villageA]);
      } finally {
        await stack.db.query(`ALTER TABLE cycle_checkpoints ENABLE TRIGGER cycle_checkpoints_append_only`);
      }
      const res = await get('/audit/verify', 'auditor').expect(200);
      expect(res.body.checkpoints.broken[0]).toMatchObject({ villageId: f.villageA, problem: 'hash_mismatch' });
    });
  });
});
