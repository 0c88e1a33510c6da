import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { answer, finalizeNow, object, PERSONAL, personalise, publishMonth, villageA, villageB, type VillageActors } from './board-helpers';

interface Line {
  entryId: string;
  status: string;
  statusLabel: string;
  points: number;
}
interface Resident {
  name: string;
  total: number;
  lines: Line[];
}

describe('public board (公示栏): JSON, printable page, village list, town overview', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let A: VillageActors;
  let B: VillageActors;
  /** Village A's month, finalized: one entry revoked (objection upheld). */
  let done: { period: string; entryIds: string[] };
  /** Village B's month, publicized: one entry under objection. */
  let open: { period: string; entryIds: string[] };
  let openObjection: string;
  const url = (villageId: string, period: string, suffix = '') => `/api/v1/public/boards/${villageId}/${period}${suffix}`;

  beforeAll(async () => {
    stack = await startStack({ env: { PUBLIC_BASE_URL: 'https://xinyi.example.cn' } });
    f = await seedTown(stack.db, 4);
    await personalise(stack, f);
    t = await bearers(stack.http, f);
    A = villageA(f, t);
    B = await villageB(stack, f, t);
    const [r0, r1, r2, r3] = f.residentsA;
    done = await publishMonth(stack, t, A, [
      { residentId: r0, itemCode: 'T10' },
      { residentId: r1, itemCode: 'B02' },
      { residentId: r2, itemCode: 'T57', points: 10, reason: '扑救邻居家火情' },
      { residentId: r3, itemCode: 'T10' },
    ]);
    await answer(stack, A, await object(stack, f.villageA, done.period, done.entryIds[3]), 'upheld');
    await finalizeNow(stack, f.villageA, done.period);
    open = await publishMonth(stack, t, B, [
      { residentId: f.residentsB[0], itemCode: 'T10' },
      { residentId: f.residentsB[1], itemCode: 'T10' },
    ]);
    openObjection = await object(stack, f.villageB, open.period, open.entryIds[1]);
  });
  afterAll(async () => stack?.close());

  const all = (bodies: string[]) => bodies.join('\n');
  const lineOf = (residents: Resident[], entryId: string) => residents.flatMap((r) => r.lines).find((l) => l.entryId === entryId) as Line;

  it('a publicized board: fixed content with masked names, live disputed flag, window, no checkpoint yet; cacheable', async () => {
    const res = await request(stack.http).get(url(f.villageB, open.period)).expect(200);
    expect(res.headers['cache-control']).toBe('public, no-cache');
    const b = res.body;
    expect(b).toMatchObject({ villageId: f.villageB, villageName: '西村', period: open.period, state: 'publicized', objectionOpen: true, finalized: false, checkpointHash: null });
    expect(new Date(b.windowEndsAt).getTime()).toBeGreaterThan(Date.now());
    expect(b.windowStartsAt).toBe(b.publishedAt);
    expect(b.howToObject).toContain('异议');
    expect(b.residents.map((r: Resident) => r.name).sort()).toEqual(['孙*', '赵*柱'].sort());
    expect(lineOf(b.residents, open.entryIds[1])).toMatchObject({ status: 'disputed', statusLabel: '异议处理中' });
    expect(lineOf(b.residents, open.entryIds[0])).toMatchObject({ status: 'approved', statusLabel: '已通过' });
    expect(b.totals).toEqual({ residents: 2, entries: 2, awarded: 10, deducted: 0 });
    expect(b.redList).toHaveLength(2);
  });

  it('gzip when the client takes it, plain otherwise; an ETag per encoding answers a repeat read 304 without a body', async () => {
    const path = url(f.villageB, open.period);
    // superagent asks for gzip by default; a client that takes only identity gets plain bytes.
    const plain = await request(stack.http).get(path).set('accept-encoding', 'identity').expect(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/accept-encoding/i);
    const etag = plain.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    // gzip: the same document (superagent inflates it), its own ETag.
    const gz = await request(stack.http).get(path).set('accept-encoding', 'gzip, deflate, br').expect(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.body).toEqual(plain.body);
    expect(gz.headers.etag).not.toBe(etag);
    // Conditional GETs: 304 with no body for the matching representation only.
    const again = await request(stack.http).get(path).set('accept-encoding', 'identity').set('if-none-match', etag).expect(304);
    expect(again.text ?? '').toBe('');
    await request(stack.http).get(path).set('accept-encoding', 'gzip').set('if-none-match', gz.headers.etag as string).expect(304);
    await request(stack.http).get(path).set('accept-encoding', 'gzip').set('if-none-match', etag).expect(200);
    // The printable page too.
    const html = await request(stack.http).get(`${path}.html`).set('accept-encoding', 'gzip').expect(200);
    expect(html.headers['content-encoding']).toBe('gzip');
    expect(html.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    await request(stack.http).get(`${path}.html`).set('accept-encoding', 'gzip').set('if-none-match', html.headers.etag as string).expect(304);
  });

  it('the content is exactly what publish fixed (never recomputed); an answered objection clears the live flag', async () => {
    const [stored] = await stack.db.query(`SELECT content FROM boards WHERE village_id = $1 AND period = $2`, [f.villageB, open.period]);
    const b = (await request(stack.http).get(url(f.villageB, open.period)).expect(200)).body;
    expect(b.totals).toEqual(stored.content.totals);
    expect(b.redList.map(({ name, total }: { name: string; total: number }) => ({ name, total }))).toEqual(stored.content.redList);
    // The QR addresses start with PUBLIC_BASE_URL and name the board by codes, not ids.
    const [codes] = await stack.db.query(`SELECT t.code AS town, v.code AS village FROM villages v JOIN towns t ON t.id = v.town_id WHERE v.id = $1`, [f.villageB]);
    expect(b.boardUrl).toBe(`https://xinyi.example.cn/board/${codes.town}/${codes.village}/${open.period}`);
    expect(b.objectionPageUrl).toBe(`${b.boardUrl}/objection`);
    expect(b.residents.map((r: Resident) => ({ name: r.name, total: r.total, lines: r.lines.map((l) => l.entryId) }))).toEqual(
      stored.content.residents.map((r: Resident) => ({ name: r.name, total: r.total, lines: r.lines.map((l) => l.entryId) })),
    );
    await answer(stack, B, openObjection, 'dismissed');
    const after = (await request(stack.http).get(url(f.villageB, open.period)).expect(200)).body;
    expect(lineOf(after.residents, open.entryIds[1]).status).toBe('approved');
  });

  it('the content is stored as the text publish wrote (json, not jsonb): a render reads it back without PostgreSQL re-encoding it', async () => {
    const [row] = await stack.db.query(`SELECT content::text AS text, pg_typeof(content)::text AS type FROM boards WHERE village_id = $1 AND period = $2`, [f.villageB, open.period]);
    expect(row.type).toBe('json');
    expect(row.text).toBe(JSON.stringify(JSON.parse(row.text)));
  });

  it('a finalized board: posted lines, the upheld one shown as 撤销, totals as published, the checkpoint hash', async () => {
    const b = (await request(stack.http).get(url(f.villageA, done.period)).expect(200)).body;
    const [cycle] = await stack.db.query(`SELECT checkpoint_hash FROM review_cycles WHERE village_id = $1 AND period = $2`, [f.villageA, done.period]);
    expect(cycle.checkpoint_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toMatchObject({ state: 'finalized', finalized: true, objectionOpen: false, checkpointHash: cycle.checkpoint_hash });
    expect(lineOf(b.residents, done.entryIds[3])).toMatchObject({ status: 'revoked', statusLabel: '撤销' });
    expect(lineOf(b.residents, done.entryIds[0])).toMatchObject({ status: 'posted', statusLabel: '已入账' });
    expect(b.totals.entries).toBe(4); // as published: the revoked entry stays on the board, struck through
    expect(b.blackList.map((x: { name: string }) => x.name)).toEqual(['王*锤']);
    expect(b.residents.find((r: Resident) => r.name === '欧**娜').total).toBe(10);
  });

  it('the printable page: Chinese A4 document, escaped, rows kept whole, headers repeated, the same facts', async () => {
    const res = await request(stack.http).get(url(f.villageA, done.period, '.html')).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expect(res.headers['cache-control']).toBe('public, no-cache');
    const html = res.text;
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="zh-CN">/);
    expect(html).toMatch(/@page \{ size: A4; margin: [^}]+\}/);
    // Fixed-height A4 sheets, numbered (the browser test prints them and counts PDF pages).
    expect(html).toMatch(/\.sheet \{ height: 272mm; overflow: hidden; break-after: page;/);
    expect(html).toContain('第 1 页 / 共 1 页');
    expect(html).toMatch(/font-family: "Noto Sans CJK SC"[^;]*sans-serif;/);
    const [y, m] = done.period.split('-');
    expect(html).toContain(`<title>东村${y}年${Number(m)}月信义积分公示</title>`);
    for (const masked of ['李*明', '王*锤', '欧**娜', '张*']) expect(html).toContain(masked);
    expect(html).toContain('撤销');
    expect(html).toContain('红榜');
    expect(html).toContain('黑榜');
    const [cycle] = await stack.db.query(`SELECT checkpoint_hash FROM review_cycles WHERE village_id = $1 AND period = $2`, [f.villageA, done.period]);
    expect(html).toContain(cycle.checkpoint_hash);
    expect(html).toContain('合计：共 4 人、4 条');
  });

  it('no ID numbers, phones or real names anywhere public, for any resident of the fixture', async () => {
    const residents = await stack.db.query(`SELECT name, phone, id_last4 FROM residents WHERE town_id = ANY($1::uuid[])`, [[f.townId, f.otherTownId]]);
    expect(residents.length).toBe(12);
    const bodies: string[] = [];
    for (const [villageId, period] of [
      [f.villageA, done.period],
      [f.villageB, open.period],
    ]) {
      bodies.push((await request(stack.http).get(url(villageId, period)).expect(200)).text);
      bodies.push((await request(stack.http).get(url(villageId, period, '.html')).expect(200)).text);
      bodies.push((await request(stack.http).get(`/api/v1/public/villages/${villageId}/boards`).expect(200)).text);
    }
    expect(all(bodies)).toContain('赵*柱');
    const text = all(bodies);
    // Ids and hashes are random hex: a fixture's 4 digits can occur inside one by chance (a run
    // failed on a village id ending in …1002). Digits are checked outside them.
    const withoutIds = text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64}/g, '·');
    for (const p of PERSONAL) expect(residents.some((r: { name: string }) => r.name === p.name)).toBe(true);
    for (const r of residents as Array<{ name: string; phone: string | null; id_last4: string }>) {
      expect(text, r.name).not.toContain(r.name);
      expect(withoutIds, r.id_last4).not.toContain(r.id_last4);
      if (r.phone) expect(withoutIds, r.phone).not.toContain(r.phone);
    }
  });

  it("lists a village's boards by period", async () => {
    const a = await request(stack.http).get(`/api/v1/public/villages/${f.villageA}/boards`).expect(200);
    expect(a.headers['cache-control']).toBe('public, no-cache');
    expect(a.body).toEqual([expect.objectContaining({ period: done.period, state: 'finalized', finalized: true, checkpointHash: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    const b = await request(stack.http).get(`/api/v1/public/villages/${f.villageB}/boards`).expect(200);
    expect(b.body).toEqual([expect.objectContaining({ period: open.period, state: 'publicized', finalized: false, checkpointHash: null })]);
    expect(new Date(b.body[0].windowEndsAt).getTime()).toBeGreaterThan(Date.now());
    expect((await request(stack.http).get(`/api/v1/public/villages/${f.villageOther}/boards`).expect(200)).body).toEqual([]);
    expect((await request(stack.http).get(`/api/v1/public/villages/00000000-0000-4000-8000-000000000000/boards`).expect(404)).body.code).toBe('ORG.VILLAGE_NOT_FOUND');
  });

  it('unknown or not yet publicized boards are 404 BOARD.NOT_FOUND; malformed uuid or period is 400', async () => {
    // A cycle that is reviewed but not published has no board yet.
    await stack.db.query(`INSERT INTO review_cycles (town_id, village_id, period, state, closed_at, reviewed_at) VALUES ($1, $2, '2001-02', 'reviewed', now(), now())`, [f.townId, f.villageA]);
    for (const path of [url(f.villageA, '2001-02'), url(f.villageA, '2001-02', '.html'), url(f.villageOther, done.period), url('00000000-0000-4000-8000-000000000000', done.period), url(f.villageA, '2001-01')]) {
      const res = await request(stack.http).get(path).expect(404);
      expect(res.body.code, path).toBe('BOARD.NOT_FOUND');
      expect(res.headers['content-type'], path).toMatch(/^application\/json/);
      expect(res.headers['cache-control'] ?? '', path).not.toContain('public');
    }
    for (const path of [url(f.villageA, '2026-13'), url(f.villageA, '2026-1'), url(f.villageA, 'abc', '.html'), url('not-a-uuid', done.period), url('not-a-uuid', done.period, '.html'), `/api/v1/public/villages/not-a-uuid/boards`]) {
      const res = await request(stack.http).get(path).expect(400);
      expect(res.body.code, path).toBe('VALIDATION.FAILED');
    }
    // Short words are village codes now: an unknown one is not found, not malformed.
    expect((await request(stack.http).get('/api/v1/public/villages/nope/boards').expect(404)).body.code).toBe('ORG.VILLAGE_NOT_FOUND');
  });

  it('town overview: every village of the town with state, flags and objection counts; roles and scope enforced', async () => {
    const ov = (who: FixtureUser, period = open.period) => request(stack.http).get('/api/v1/towns/current/boards-overview').query({ period }).set('authorization', t[who]);
    // A's objection was answered (upheld): even past its due date it is neither open nor overdue.
    await stack.db.query(`UPDATE objections SET due_at = now() - interval '1 day' WHERE entry_id = $1`, [done.entryIds[3]]);
    const late = await object(stack, f.villageB, open.period, open.entryIds[0]);
    await stack.db.query(`UPDATE objections SET due_at = now() - interval '1 hour' WHERE id = $1`, [late]);
    await object(stack, f.villageB, open.period, open.entryIds[1]);
    const res = await ov('auditor').expect(200);
    expect(res.body.period).toBe(open.period);
    expect(new Date(res.body.closeBy).getTime()).toBeLessThan(new Date(res.body.publishBy).getTime());
    const byVillage = Object.fromEntries(res.body.villages.map((v: { villageId: string }) => [v.villageId, v]));
    expect(Object.keys(byVillage).sort()).toEqual([f.villageA, f.villageB].sort());
    expect(byVillage[f.villageA]).toMatchObject({ state: 'finalized', publicized: true, finalized: true, closeLate: false, publishLate: false, finalizeOverdue: false, openObjections: 0, overdueObjections: 0 });
    expect(byVillage[f.villageB]).toMatchObject({ state: 'publicized', publicized: true, finalized: false, finalizeOverdue: false, openObjections: 2, overdueObjections: 1 });
    // A period nobody has started: no cycle, nothing publicized, long past every deadline.
    const ancient = (await ov('town_admin', '2001-03').expect(200)).body.villages;
    expect(ancient.map((v: { state: unknown; closeLate: boolean; publishLate: boolean }) => [v.state, v.closeLate, v.publishLate])).toEqual([
      [null, true, true],
      [null, true, true],
    ]);
    // A publicized cycle whose window has ended but is not finalized is overdue.
    await stack.db.query(`UPDATE review_cycles SET window_ends_at = now() - interval '1 minute' WHERE village_id = $1 AND period = $2`, [f.villageB, open.period]);
    expect((await ov('auditor').expect(200)).body.villages.find((v: { villageId: string }) => v.villageId === f.villageB).finalizeOverdue).toBe(true);
    // Another town's admin sees only their own villages.
    const other = (await ov('other_town_admin').expect(200)).body.villages.map((v: { villageId: string }) => v.villageId);
    expect(other).toEqual([f.villageOther]);
    expect((await ov('village_clerk').expect(403)).body.code).toBe('AUTH.FORBIDDEN');
    expect((await request(stack.http).get('/api/v1/towns/current/boards-overview').query({ period: open.period }).expect(401)).body.code).toBe('AUTH.UNAUTHENTICATED');
    expect((await ov('auditor', '2026-00').expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await request(stack.http).get('/api/v1/towns/current/boards-overview').set('authorization', t.auditor).expect(400)).body.code).toBe('VALIDATION.FAILED');
  });
});
