import { randomUUID } from 'node:crypto';
import ExcelJS from 'exceljs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { nextPeriod, shanghaiDate, shanghaiPeriod, sqlJsonInstant, sqlShanghaiDate } from '@app/common/time';
import { StatementRepository } from '@app/ledger/statement.repository';
import { LedgerService } from '@app/ledger/ledger.service';
import { STATEMENT_HEADERS } from '@app/ledger/statement.service';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { finalizeNow, publishMonth, villageA } from './board-helpers';

interface Line {
  kind: string;
  itemCode: string | null;
  points: number;
  pointsLabel: string;
  warning: boolean;
  occurredOn: string | null;
  ruleText: string | null;
  explanation: string | null;
  committeeReason: string | null;
  evidenceNote: string | null;
  decision: string | null;
  reviewPeriod: string | null;
  receiptNo: string | null;
  shopName: string | null;
}

/** A resident's statement explains every movement: deed, rule, occurrence, review; receipt and shop. */
describe('statement lines that explain every movement', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let period: string;
  let receiptNo: string;
  const today = shanghaiDate(new Date());
  const r = () => f.residentsA[0] as string;
  const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
    const chunks: Buffer[] = [];
    const stream = res as unknown as NodeJS.ReadableStream;
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => cb(null, Buffer.concat(chunks)));
  };

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 3);
    t = await bearers(stack.http, f);
    const month = await publishMonth(stack, t, villageA(f, t), [
      { residentId: r(), itemCode: 'B01', evidenceNote: '敬告单 1 号' },
      { residentId: r(), itemCode: 'B01', evidenceNote: '敬告单 2 号' },
      { residentId: r(), itemCode: 'B01', evidenceNote: '敬告单 3 号' },
      { residentId: r(), itemCode: 'T01', quantity: 22, evidenceNote: '签到表' },
      { residentId: r(), itemCode: 'T57', points: 5, reason: '救起落水儿童', evidenceNote: '村委会证明' },
    ]);
    period = month.period;
    await finalizeNow(stack, f.villageA, period);

    await stack.api.get(LedgerService).postBatch([{ accountId: r(), kind: 'opening_balance', points: 100, sourceRef: `opening:${r()}`, counterparty: `town:${f.townId}`, period, memo: '测试期初' }]);
    const terminal = await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', t.town_admin).send({ name: '收银台' }).expect(201);
    const goods = await request(stack.http).post(`/api/v1/shops/${f.shopA}/goods`).set('authorization', t.shop_clerk).send({ name: '洗衣粉', unit: '袋', pricePoints: 10 }).expect(201);
    await request(stack.http).post(`/api/v1/goods/${goods.body.id}/stock`).set('authorization', t.shop_clerk).send({ kind: 'received', quantity: 5, reason: '进货' }).expect(200);
    const [{ card_code: card }] = await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [r()]);
    const sale = await request(stack.http)
      .post('/api/v1/terminal/redemptions')
      .set('x-api-key', terminal.body.apiKey)
      .send({ cardCode: card, lines: [{ goodsId: goods.body.id, quantity: 1 }], idempotencyKey: 'statement-test-1' })
      .expect(201);
    receiptNo = sale.body.receiptNo;
  });
  afterAll(async () => stack?.close());

  it('JSON: deed date, item, rule in words, this occurrence, reason, evidence, decision and period; receipt and shop', async () => {
    const res = await request(stack.http).get(`/api/v1/residents/${r()}/statement`).set('authorization', t.village_clerk).expect(200);
    const lines = res.body.lines as Line[];
    const deeds = lines.filter((l) => l.kind === 'deed');
    expect(deeds).toHaveLength(5);
    const [{ held_on: heldOn }] = await stack.db.query(`SELECT to_char(held_on, 'YYYY-MM-DD') AS held_on FROM review_meetings LIMIT 1`);
    for (const l of deeds) {
      expect(l).toMatchObject({ occurredOn: today, reviewPeriod: period, decision: `议事会通过（${heldOn} 会议）` });
      expect(l.ruleText).toBeTruthy();
      expect(l.explanation).toBeTruthy();
    }
    const parking = deeds.filter((l) => l.itemCode === 'B01');
    // Posting order within one finalize is another change's concern (deed order); compare as sets.
    expect(parking.map((l) => l.pointsLabel).sort()).toEqual(['−10', '−10', '警告']);
    expect(parking.find((l) => l.warning)).toMatchObject({ warning: true, points: 0, ruleText: '年内第 2 次起每次 −10 分，此前记录警告', explanation: expect.stringContaining('第 1 次，记录警告') });
    expect(parking.map((l) => l.explanation).join('\n')).toContain('第 3 次，已超过 2 次，按规定每次扣 10 分');
    const volunteer = deeds.find((l) => l.itemCode === 'T01');
    expect(volunteer).toMatchObject({ points: 5, warning: false, pointsLabel: '+5', evidenceNote: '签到表' });
    expect(volunteer?.explanation).toContain('累计 22 小时，达到“20 小时”档');
    expect(deeds.find((l) => l.itemCode === 'T57')).toMatchObject({ committeeReason: '救起落水儿童', evidenceNote: '村委会证明', explanation: expect.stringContaining('议事会评定 5 分') });
    const sale = lines.find((l) => l.kind === 'redemption');
    expect(sale).toMatchObject({ receiptNo, shopName: '信义超市', pointsLabel: '−10', occurredOn: null, decision: null });
  });

  it('posting times and Shanghai dates come from SQL exactly as a pg Date and src/common/time.ts would give them', async () => {
    // Every line against its posting's timestamp read the usual way (pg's Date), microseconds and all.
    const res = await request(stack.http).get(`/api/v1/residents/${r()}/statement`).set('authorization', t.auditor).expect(200);
    const rows: Array<{ id: string; posted_at: Date }> = await stack.db.query(`SELECT id::text, posted_at FROM postings WHERE account_id = $1`, [r()]);
    const at = new Map(rows.map((p) => [p.id, p.posted_at]));
    const lines = res.body.lines as Array<{ postingId: string; postedAt: string; date: string }>;
    expect(lines.length).toBe(rows.length);
    for (const l of lines) {
      const d = at.get(l.postingId) as Date;
      expect(l.postedAt).toBe(d.toISOString());
      expect(l.date).toBe(shanghaiDate(d));
    }
    // And at the edges: Shanghai midnight (16:00 UTC), the last microsecond before it, a year's turn, sub-millisecond fractions.
    const edges = ['2026-03-04 15:59:59.999999+00', '2026-03-04 16:00:00+00', '2026-12-31 15:59:59.9995+00', '2026-12-31 16:00:00.000999+00', '2027-02-28 23:30:00.5+08', '2028-02-28 16:00:00.123456+00'];
    for (const e of edges) {
      const [row] = await stack.db.query(`SELECT $1::timestamptz AS d, ${sqlJsonInstant('$1::timestamptz')} AS json, ${sqlShanghaiDate('$1::timestamptz')} AS date`, [e]);
      expect({ e, json: row.json, date: row.date }).toEqual({ e, json: (row.d as Date).toISOString(), date: shanghaiDate(row.d as Date) });
    }
  });

  it('puts a catalogue item version\'s rule in words once: later statements read no rule and give the same words', async () => {
    const repo = stack.api.get(StatementRepository);
    const spy = vi.spyOn(repo, 'ruleSources');
    try {
      const path = `/api/v1/residents/${r()}/statement`;
      const first = await request(stack.http).get(path).set('authorization', t.village_clerk).expect(200);
      // Earlier statements in this file may have taught it already: at most one read of the rules here.
      expect(spy.mock.calls.length).toBeLessThanOrEqual(1);
      const learned = spy.mock.calls.length;
      const again = await request(stack.http).get(path).set('authorization', t.town_admin).expect(200);
      expect(spy.mock.calls.length).toBe(learned);
      expect(again.body.lines).toEqual(first.body.lines);
      const ruled = (first.body.lines as Line[]).filter((l) => l.kind === 'deed');
      expect(ruled.map((l) => l.ruleText)).toEqual(ruled.map(() => expect.stringMatching(/分/)));
    } finally {
      spy.mockRestore();
    }
  });

  it('the statement SQL is prepared: after a few runs on a connection PostgreSQL reuses a generic plan (no planning per request)', async () => {
    const qr = stack.db.createQueryRunner();
    try {
      const repo = stack.api.get(StatementRepository);
      const first = await repo.listStatementPostings(r(), qr.manager);
      for (let i = 0; i < 6; i++) expect(await repo.listStatementPostings(r(), qr.manager)).toEqual(first);
      const [stmt] = await qr.query(`SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE statement LIKE '%FROM postings p%WHERE p.account_id = $1%'`);
      expect(stmt).toBeDefined();
      expect(stmt.generic).toBeGreaterThan(0);
      // A page's first read: the resident and every posting's narrow row in one prepared query,
      // the same postings, in the same order, as the whole statement's read.
      const narrow = first.map(({ seq, points, kind, period, postedDate }) => ({ seq, points, kind, period, postedDate }));
      expect(narrow.length).toBeGreaterThan(4);
      const resident = await repo.findStatementResident(r(), qr.manager);
      if (!resident) throw new Error('the fixture resident has no statement');
      for (let i = 0; i < 6; i++) {
        const found = await repo.findStatementResidentRunning(r(), qr.manager);
        expect(found?.running).toEqual(narrow);
        expect(found).toMatchObject(resident);
      }
      const [combined] = await qr.query(`SELECT generic_plans::int AS generic FROM pg_prepared_statements WHERE statement LIKE '%json_agg(json_build_array(p.seq%'`);
      expect(combined.generic).toBeGreaterThan(0);
      expect(await repo.findStatementResidentRunning('00000000-0000-4000-8000-000000000000', qr.manager)).toBeNull();
    } finally {
      await qr.release();
    }
  });

  it('running balance and credit score over two rating years and every kind, and a from/to range, match a recount of the postings', async () => {
    // Recounted from the postings table by the plain rule: balance over every line, credit score per rating year.
    const who = f.residentsA[1] as string;
    const ledger = stack.api.get(LedgerService);
    const town = `town:${f.townId}`;
    const steps: Array<{ kind: 'deed' | 'opening_balance' | 'redemption' | 'expiry'; points: number; period: string; itemCode?: string }> = [
      { kind: 'opening_balance', points: 30, period: '2025-11' },
      { kind: 'deed', points: 5, period: '2025-11', itemCode: 'T01' },
      { kind: 'deed', points: -10, period: '2025-12', itemCode: 'B01' },
      { kind: 'redemption', points: -7, period: '2025-12' },
      { kind: 'deed', points: 0, period: '2025-12', itemCode: 'B01' },
      { kind: 'deed', points: 8, period: '2026-01', itemCode: 'T01' },
      { kind: 'expiry', points: -3, period: '2026-01' },
      { kind: 'deed', points: -2, period: '2025-12', itemCode: 'B01' },
      { kind: 'redemption', points: -1, period: '2026-01' },
      { kind: 'deed', points: 4, period: '2026-02', itemCode: 'T57' },
    ];
    for (const [i, step] of steps.entries()) {
      await ledger.postBatch([{ accountId: who, kind: step.kind, points: step.points, sourceRef: `${step.kind === 'deed' ? 'entry' : step.kind}:${randomUUID()}`, counterparty: town, period: step.period, itemCode: step.itemCode, memo: `第 ${i + 1} 笔` }]);
    }
    const [deed2026] = await stack.db.query(`SELECT id::text FROM postings WHERE account_id = $1 AND kind = 'deed' AND period = '2026-01'`, [who]);
    await request(stack.http).post('/api/v1/ledger/corrections').set('authorization', t.town_admin).send({ postingId: deed2026.id, type: 'amount', points: -6, reason: '复核' }).expect(201);

    const [{ base }] = await stack.db.query(`SELECT base_score AS base FROM towns WHERE id = $1`, [f.townId]);
    const postings: Array<{ id: string; seq: number; kind: string; points: number; period: string }> = await stack.db.query(
      `SELECT id::text, seq, kind, points, period FROM postings WHERE account_id = $1 ORDER BY seq`,
      [who],
    );
    expect(postings.length).toBe(steps.length + 1);
    let balance = 0;
    const byYear = new Map<string, number>();
    const label = { deed: '积分事项', redemption: '兑换', correction: '更正', opening_balance: '期初余额', expiry: '年度清零' } as Record<string, string>;
    const expected = postings.map((p) => {
      balance += p.points;
      const year = p.period.slice(0, 4);
      if (p.kind === 'deed' || p.kind === 'correction') byYear.set(year, (byYear.get(year) ?? 0) + p.points);
      const pointsLabel = p.points > 0 ? `+${p.points}` : p.points < 0 ? `\u2212${-p.points}` : '0';
      return { seq: p.seq, postingId: p.id, kind: p.kind, kindLabel: label[p.kind], points: p.points, pointsLabel, warning: false, balance, creditScore: base + (byYear.get(year) ?? 0) };
    });
    const res = await request(stack.http).get(`/api/v1/residents/${who}/statement`).set('authorization', t.auditor).expect(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const lines = res.body.lines as Array<Record<string, unknown>>;
    expect(lines.map((l) => ({ seq: l.seq, postingId: l.postingId, kind: l.kind, kindLabel: l.kindLabel, points: l.points, pointsLabel: l.pointsLabel, warning: l.warning, balance: l.balance, creditScore: l.creditScore }))).toEqual(expected);
    // Postings without an entry or a receipt behind them: nothing made up for them.
    expect(lines.filter((l) => l.kind !== 'correction').every((l) => l.ruleText === null && l.decision === null && l.receiptNo === null && l.reason === null)).toBe(true);
    expect(lines.find((l) => l.kind === 'correction')).toMatchObject({ reason: '复核', originalPostingId: deed2026.id, itemCode: 'T01' });
    expect(res.body).toMatchObject({ openingBalance: 0, closingBalance: balance, currentBalance: balance });
    // Every line was posted this month: a range that ends before it leaves none, one that starts after it leaves the balance as the opening.
    const month = shanghaiPeriod(new Date());
    const next = nextPeriod(month);
    const within = await request(stack.http).get(`/api/v1/audit/residents/${who}/statement?from=${month}&to=${month}`).set('authorization', t.auditor).expect(200);
    expect(within.body).toMatchObject({ from: month, to: month, openingBalance: 0, closingBalance: balance });
    expect(within.body.lines).toEqual(lines);
    const after = await request(stack.http).get(`/api/v1/residents/${who}/statement?from=${next}`).set('authorization', t.auditor).expect(200);
    expect(after.body).toMatchObject({ openingBalance: balance, closingBalance: balance, lines: [] });
    const before = await request(stack.http).get(`/api/v1/residents/${who}/statement?to=2000-01`).set('authorization', t.auditor).expect(200);
    expect(before.body).toMatchObject({ openingBalance: 0, closingBalance: 0, lines: [] });
  });

  it('a page of the statement (limit, beforeSeq) is the same lines as the whole one, newest first, with the range\'s balances', async () => {
    for (const [who, role] of [
      [r(), 'village_clerk'],
      [f.residentsA[1] as string, 'auditor'],
    ] as const) {
      const whole = await request(stack.http).get(`/api/v1/residents/${who}/statement`).set('authorization', t[role]).expect(200);
      const all = whole.body.lines as Array<{ seq: number }>;
      expect(all.length).toBeGreaterThan(4);
      expect(whole.body.earlierLines).toBe(0);
      // Walk back three lines at a time, as the console's "更早的记录" does, from both endpoints.
      for (const base of [`/api/v1/residents/${who}/statement`, `/api/v1/audit/residents/${who}/statement`]) {
        const seen: Array<{ seq: number }> = [];
        let beforeSeq: number | undefined;
        for (;;) {
          const page = await request(stack.http)
            .get(base)
            .query({ limit: 3, ...(beforeSeq ? { beforeSeq } : {}) })
            .set('authorization', role === 'auditor' || base.includes('/audit/') ? t.auditor : t[role])
            .expect(200);
          const { lines, earlierLines, ...rest } = page.body;
          const { lines: _l, earlierLines: _e, ...wholeRest } = whole.body;
          expect(rest).toEqual(wholeRest);
          expect(lines.length).toBe(Math.min(3, all.length - seen.length));
          expect(earlierLines).toBe(all.length - seen.length - lines.length);
          seen.unshift(...lines);
          if (earlierLines === 0) break;
          beforeSeq = lines[0].seq;
        }
        expect(seen).toEqual(all);
      }
      // A page as large as the statement is the statement; before the first line there is nothing.
      expect((await request(stack.http).get(`/api/v1/residents/${who}/statement?limit=500`).set('authorization', t.auditor).expect(200)).body).toEqual(whole.body);
      const none = await request(stack.http).get(`/api/v1/residents/${who}/statement?limit=10&beforeSeq=1`).set('authorization', t.auditor).expect(200);
      expect(none.body).toMatchObject({ lines: [], earlierLines: 0, openingBalance: whole.body.openingBalance, closingBalance: whole.body.closingBalance });
      const past = await request(stack.http).get(`/api/v1/residents/${who}/statement?limit=2&beforeSeq=999999`).set('authorization', t.auditor).expect(200);
      expect(past.body.lines).toEqual(all.slice(-2));
    }
    // Within a range: the page is the range's newest lines; a range with none has no page.
    const who = f.residentsA[1] as string;
    const month = shanghaiPeriod(new Date());
    const within = await request(stack.http).get(`/api/v1/residents/${who}/statement?from=${month}&to=${month}`).set('authorization', t.auditor).expect(200);
    const paged = await request(stack.http).get(`/api/v1/residents/${who}/statement?from=${month}&to=${month}&limit=4`).set('authorization', t.auditor).expect(200);
    expect(paged.body).toMatchObject({ openingBalance: within.body.openingBalance, closingBalance: within.body.closingBalance, earlierLines: within.body.lines.length - 4 });
    expect(paged.body.lines).toEqual(within.body.lines.slice(-4));
    const later = await request(stack.http).get(`/api/v1/residents/${who}/statement?from=${nextPeriod(month)}&limit=4`).set('authorization', t.auditor).expect(200);
    expect(later.body).toMatchObject({ lines: [], earlierLines: 0, openingBalance: within.body.closingBalance });
  });

  it('refuses a bad page size or cursor with 400 and the field named in Chinese; the exports take no page', async () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ limit: 0 }, 'limit'],
      [{ limit: 501 }, 'limit'],
      [{ limit: 'abc' }, 'limit'],
      [{ limit: 2.5 }, 'limit'],
      [{ limit: 5, beforeSeq: 0 }, 'beforeSeq'],
      [{ limit: 5, beforeSeq: '1 OR 1=1' }, 'beforeSeq'],
      [{ limit: 5, beforeSeq: 99999999999 }, 'beforeSeq'],
      [{ beforeSeq: 3 }, 'beforeSeq'],
    ];
    for (const [q, field] of bad) {
      for (const path of [`/api/v1/residents/${r()}/statement`, `/api/v1/audit/residents/${r()}/statement`]) {
        const res = await request(stack.http).get(path).query(q).set('authorization', t.auditor);
        expect(res.status, JSON.stringify(q)).toBe(400);
        expect(res.body.code).toBe('VALIDATION.FAILED');
        expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
        expect(res.body.details[0].message).toMatch(field === 'limit' ? /^每页条数（limit）/ : /^更早记录的截止序号（beforeSeq）/);
      }
    }
    for (const ext of ['csv', 'xlsx']) {
      const res = await request(stack.http).get(`/api/v1/residents/${r()}/statement.${ext}?limit=5`).set('authorization', t.auditor).expect(400);
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['limit']);
    }
    // Out of scope and not found answer as for the whole statement.
    expect((await request(stack.http).get(`/api/v1/residents/${randomUUID()}/statement?limit=5`).set('authorization', t.auditor).expect(404)).body.code).toBe('LEDGER.ACCOUNT_NOT_FOUND');
  });

  it('CSV and XLSX carry the same columns, with 警告 for the warning', async () => {
    const csv = await request(stack.http).get(`/api/v1/residents/${r()}/statement.csv`).set('authorization', t.auditor).buffer(true).expect(200);
    const rows = csv.text.replace(/^\uFEFF/, '').trim().split(/\r?\n/).map((l) => l.split(','));
    expect(rows[0]).toEqual(STATEMENT_HEADERS);
    for (const h of ['发生日期', '计分规则', '本次计分说明', '评定理由', '证据说明', '评议结论', '评议期间', '小票号', '兑换超市']) expect(STATEMENT_HEADERS).toContain(h);
    const col = (h: string) => STATEMENT_HEADERS.indexOf(h);
    const warning = rows.find((row) => row[col('积分')] === '警告');
    expect(rows.filter((row) => row[col('事项编码')] === 'B01').map((row) => row[col('积分')]).sort()).toEqual(['-10', '-10', '警告']);
    expect(warning?.[col('发生日期')]).toBe(today);
    expect(rows.find((row) => row[col('类型')] === '兑换')?.[col('小票号')]).toBe(receiptNo);

    const x = await request(stack.http).get(`/api/v1/residents/${r()}/statement.xlsx`).set('authorization', t.auditor).buffer(true).parse(binary).expect(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.body as never);
    const ws = wb.worksheets[0];
    expect((ws?.getRow(1).values as unknown[]).slice(1)).toEqual(STATEMENT_HEADERS);
    const values: unknown[][] = [];
    ws?.eachRow((row, n) => {
      if (n > 1) values.push((row.values as unknown[]).slice(1));
    });
    expect(values.filter((v) => v[col('事项编码')] === 'B01').map((v) => String(v[col('积分')])).sort()).toEqual(['-10', '-10', '警告']);
    expect(values.find((v) => v[col('类型')] === '兑换')?.[col('兑换超市')]).toBe('信义超市');
  });

  it('the public board prints 警告 for the warning', async () => {
    const board = await request(stack.http).get(`/api/v1/public/boards/${f.villageA}/${period}`).expect(200);
    const labels = (board.body.residents as Array<{ lines: Array<{ itemCode: string; pointsLabel: string }> }>).flatMap((x) => x.lines).filter((l) => l.itemCode === 'B01').map((l) => l.pointsLabel);
    expect(labels.sort()).toEqual(['-10', '-10', '警告']);
    const html = await request(stack.http).get(`/api/v1/public/boards/${f.villageA}/${period}.html`).expect(200);
    expect(html.text).toContain('<td class="num points">警告</td>');
  });
});
