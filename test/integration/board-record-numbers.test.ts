import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate } from '@app/common/time';
import { BoardRecordNumbers1795483000000 } from '../../migrations/1795483000000-BoardRecordNumbers';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { villageA, villageB, type VillageActors } from './board-helpers';

interface Line {
  entryId: string;
  recordNo: string;
  status: string;
}

const RECORD = /^[A-Z0-9]{2,8}-\d{4}-\d{4,}$/;

/**
 * Record numbers (记录编号): assigned once at creation, the same on the entry, the review sheet,
 * the board and the objection; stable across reopen and re-publish; unique per town; and the
 * objection flow (JSON and the public HTML form) takes them.
 */
describe('record numbers on the board and in objections', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let A: VillageActors;
  let B: VillageActors;
  let codeA: string;
  let townCode: string;
  let period: string;
  /** Entry id → record number, as the clerk's POST answered. */
  const numbers = new Map<string, string>();
  const today = shanghaiDate(new Date());
  const cyc = (v: VillageActors) => `/api/v1/villages/${v.villageId}/cycles/${period}`;
  const board = async (villageId: string) => (await request(stack.http).get(`/api/v1/public/boards/${villageId}/${period}`).expect(200)).body;
  const boardLines = async (villageId: string): Promise<Line[]> => (await board(villageId)).residents.flatMap((r: { lines: Line[] }) => r.lines);
  // Each test its own client address (TRUST_PROXY=loopback): the objection rate limit counts per address.
  let ip = 10;
  const client = () => `203.0.113.${ip++}`;

  async function enter(v: VillageActors, residentId: string, itemCode = 'T10'): Promise<{ id: string; recordNo: string }> {
    const res = await request(stack.http).post(`/api/v1/villages/${v.villageId}/entries`).set('authorization', v.clerk).send({ residentId, itemCode, occurredOn: today });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    period = res.body.period;
    numbers.set(res.body.id, res.body.recordNo);
    return res.body;
  }

  async function publish(v: VillageActors, decisions: Array<{ entryId: string; decision: 'approve' | 'reject'; reason?: string }>): Promise<void> {
    await request(stack.http).post(`${cyc(v)}/close`).set('authorization', t.town_admin).expect(200);
    await request(stack.http).post(`${cyc(v)}/meeting`).set('authorization', v.reviewer).send({ heldOn: today, attendees: ['王书记'], minutes: '逐条审议' }).expect(200);
    await request(stack.http).post(`${cyc(v)}/decisions`).set('authorization', v.reviewer).send({ decisions }).expect(200);
    const pub = await request(stack.http).post(`${cyc(v)}/publish`).set('authorization', v.reviewer);
    expect(pub.status, JSON.stringify(pub.body)).toBe(200);
  }

  beforeAll(async () => {
    stack = await startStack({ env: { OBJECTION_RATE_LIMIT_PER_MINUTE: '3' } });
    f = await seedTown(stack.db, 6);
    t = await bearers(stack.http, f);
    A = villageA(f, t);
    B = await villageB(stack, f, t);
    [{ code: codeA, town: townCode }] = await stack.db.query(`SELECT v.code, t.code AS town FROM villages v JOIN towns t ON t.id = v.town_id WHERE v.id = $1`, [f.villageA]);
  });
  afterAll(async () => stack?.close());

  it('are assigned at creation: village code, yymm, sequence; concurrent entries get distinct consecutive numbers', async () => {
    const first = await enter(A, f.residentsA[0]);
    const yymm = `${period.slice(2, 4)}${period.slice(5, 7)}`;
    expect(first.recordNo).toBe(`${codeA}-${yymm}-0001`);
    const more = await Promise.all(f.residentsA.slice(1, 5).map((r) => enter(A, r)));
    expect(more.map((e) => e.recordNo).sort()).toEqual([2, 3, 4, 5].map((n) => `${codeA}-${yymm}-000${n}`));
    // Village B counts on its own.
    expect((await enter(B, f.residentsB[0])).recordNo).toMatch(new RegExp(`-${yymm}-0001$`));
    // Stored once with the entry: the append-only trigger refuses any change.
    await expect(stack.db.query(`UPDATE deed_entries SET record_no = 'X' WHERE id = $1`, [first.id])).rejects.toThrow(/append-only/);
    await expect(stack.db.query(`INSERT INTO deed_entries SELECT * FROM deed_entries WHERE id = $1`, [first.id])).rejects.toThrow(/duplicate key|unique/);
  });

  it('stay the same through close, reopen, a new entry, review and publish; the board and the sheet show the same numbers', async () => {
    await request(stack.http).post(`${cyc(A)}/close`).set('authorization', t.town_admin).expect(200);
    await request(stack.http).post(`${cyc(A)}/reopen`).set('authorization', t.town_admin).send({ reason: '漏录一条' }).expect(200);
    const late = await enter(A, f.residentsA[5]);
    expect(late.recordNo.endsWith('-0006')).toBe(true);
    const ids = [...numbers.keys()].filter((id) => numbers.get(id)?.startsWith(codeA));
    const rejected = ids[2];
    await publish(
      A,
      ids.map((entryId) => (entryId === rejected ? { entryId, decision: 'reject' as const, reason: '证据不足' } : { entryId, decision: 'approve' as const })),
    );
    const sheet = (await request(stack.http).get(cyc(A)).set('authorization', A.reviewer).expect(200)).body;
    for (const e of sheet.entries as Array<{ id: string; recordNo: string }>) expect(e.recordNo).toBe(numbers.get(e.id));
    const lines = await boardLines(f.villageA);
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l.recordNo).toBe(numbers.get(l.entryId));
    // The rejected entry keeps its number off the board: a gap, never a renumbering.
    expect(lines.map((l) => l.recordNo)).not.toContain(numbers.get(rejected));
    const html = (await request(stack.http).get(`/api/v1/public/boards/${f.villageA}/${period}.html`).expect(200)).text;
    for (const l of lines) expect(html).toContain(`<td class="rec">${l.recordNo}</td>`);
    // Unique within the town: one number, one entry.
    const [{ dupes }] = await stack.db.query(`SELECT count(*) - count(DISTINCT record_no) AS dupes FROM deed_entries WHERE town_id = $1`, [f.townId]);
    expect(Number(dupes)).toBe(0);
  });

  it('an objection quotes the record number (any case, full-width or short form) and gets its own number', async () => {
    const [l0] = await boardLines(f.villageA);
    const typed = l0.recordNo.toLowerCase().replace(/-0+(\d)/, '-$1');
    const res = await request(stack.http)
      .post(`/api/v1/public/boards/${f.villageA}/${period}/objections`)
      .set('x-forwarded-for', client())
      .send({ recordNo: typed, name: '邻居', contact: '13800000000', reason: '情况不属实' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ entryId: l0.entryId, recordNo: l0.recordNo, number: `${l0.recordNo}-Y1` });
    const fullWidth = l0.recordNo.replace(/[A-Z0-9-]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    const second = await request(stack.http)
      .post(`/api/v1/public/boards/${f.villageA}/${period}/objections`)
      .set('x-forwarded-for', client())
      .send({ recordNo: fullWidth, name: '另一邻居', contact: '13800000001', reason: '分数不对' })
      .expect(201);
    expect(second.body.number).toBe(`${l0.recordNo}-Y2`);
    expect((await boardLines(f.villageA)).find((l) => l.entryId === l0.entryId)?.status).toBe('disputed');
    const list = (await request(stack.http).get(`/api/v1/objections?villageId=${f.villageA}`).set('authorization', A.reviewer).expect(200)).body;
    expect(list.map((o: { number: string; recordNo: string }) => [o.number, o.recordNo]).sort()).toEqual([
      [`${l0.recordNo}-Y1`, l0.recordNo],
      [`${l0.recordNo}-Y2`, l0.recordNo],
    ]);
  });

  it('an unknown, malformed or foreign record number is a 4xx with a Chinese message; nothing is written', async () => {
    const post = (recordNo: string) =>
      request(stack.http).post(`/api/v1/public/boards/${f.villageA}/${period}/objections`).set('x-forwarded-for', client()).send({ recordNo, name: '邻居', contact: '13800000000', reason: '情况不属实' });
    const before = await stack.db.query(`SELECT count(*)::int AS n FROM objections`);
    const unknown = await post(`${codeA}-${period.slice(2, 4)}${period.slice(5, 7)}-0999`).expect(404);
    expect(unknown.body.code).toBe('OBJECTION.RECORD_NOT_FOUND');
    expect(unknown.body.message).toMatch(/没有记录编号为 .*-0999 的记录/);
    const malformed = await post('第三行那条').expect(404);
    expect(malformed.body).toMatchObject({ code: 'OBJECTION.RECORD_NOT_FOUND' });
    expect(malformed.body.message).toMatch(/不是记录编号/);
    // Village B's number is a real record of this town, but not on village A's board.
    const foreign = numbers.get([...numbers.keys()].find((id) => !numbers.get(id)?.startsWith(codeA)) as string) as string;
    const wrongBoard = await post(foreign).expect(422);
    expect(wrongBoard.body.code).toBe('OBJECTION.ENTRY_NOT_ON_BOARD');
    expect(wrongBoard.body.message).toContain(`记录 ${foreign} 不在本村本期公示栏上`);
    // Neither an id nor a record number: a validation error.
    await request(stack.http).post(`/api/v1/public/boards/${f.villageA}/${period}/objections`).set('x-forwarded-for', client()).send({ name: '邻居', contact: '13800000000', reason: '情况不属实' }).expect(400);
    expect(await stack.db.query(`SELECT count(*)::int AS n FROM objections`)).toEqual(before);
  });

  it('unique per town, not across towns: another town with the same village code has its own DC-…-0001', async () => {
    await stack.db.query(`UPDATE villages SET code = $2 WHERE id = $1`, [f.villageOther, codeA]);
    const mine = [...numbers.values()].find((n) => n.startsWith(codeA)) as string;
    const [e] = await stack.db.query(`SELECT * FROM deed_entries WHERE record_no = $1`, [mine]);
    await stack.db.query(
      `INSERT INTO deed_entries (town_id, village_id, resident_id, item_id, item_code, period, occurred_on, points, explanation, request_hash, entered_by, record_no)
       VALUES ($1, $2, $3, $4, 'T10', $5, $6, 5, '{"codes":[],"text":""}', 'x', $7, $8)`,
      [f.otherTownId, f.villageOther, f.residentsOther[0], e.item_id, e.period, e.occurred_on, e.entered_by, mine],
    );
    // Objections resolve record numbers within the board's own town.
    const res = await request(stack.http)
      .post(`/api/v1/public/boards/${f.villageA}/${period}/objections`)
      .set('x-forwarded-for', client())
      .send({ recordNo: mine, name: '邻居', contact: '13800000000', reason: '情况不属实' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.entryId).toBe(e.id);
  });

  describe('the public objection page (HTML form, no JavaScript needed)', () => {
    const pagePath = () => `/board/${townCode}/${codeA}/${period}/objection`;
    const form = (body: Record<string, string>, ipAddr = client()) => request(stack.http).post(pagePath()).set('x-forwarded-for', ipAddr).type('form').send(body);

    it('GET: a Chinese form with the record number, what is wrong, name and contact; pre-filled from ?record=', async () => {
      const [l] = await boardLines(f.villageA);
      const res = await request(stack.http).get(`${pagePath()}?record=${l.recordNo}`).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
      expect(res.text).toContain('<html lang="zh-CN">');
      expect(res.text).toContain(`<form method="post" action="${pagePath()}"`);
      for (const label of ['记录编号（必填）', '哪里不对（必填）', '您的姓名（可不填）', '联系方式（可不填）']) expect(res.text).toContain(label);
      expect(res.text).toContain(`value="${l.recordNo}"`);
      expect(res.text).not.toMatch(/\/api\/v1|POST \//);
    });

    it('POST: files the objection and answers with its number and what happens next', async () => {
      // A line nobody has objected to yet (the lines' order follows random resident ids).
      const objected = new Set((await stack.db.query(`SELECT entry_id FROM objections`)).map((r: { entry_id: string }) => r.entry_id));
      const l = (await boardLines(f.villageA)).find((x) => !objected.has(x.entryId)) as Line;
      const res = await form({ recordNo: l.recordNo.toLowerCase(), reason: '那天我在外地打工', name: '', contact: '' });
      expect(res.status).toBe(201);
      expect(res.text).toContain('异议已提交');
      expect(res.text).toContain(`<p class="number" data-objection-number>${l.recordNo}-Y1</p>`);
      expect(res.text).toContain('答复前不入账');
      expect(res.text).toContain('凭异议编号到村委会查询');
      const [o] = await stack.db.query(`SELECT number, objector_name, contact, reason, client_ip FROM objections WHERE entry_id = $1`, [l.entryId]);
      expect(o).toMatchObject({ number: `${l.recordNo}-Y1`, objector_name: '', contact: '', reason: '那天我在外地打工' });
    });

    it('POST with mistakes: 422, the form again with each error next to its field, the values kept', async () => {
      const empty = await form({ recordNo: '', reason: '', contact: '1' });
      expect(empty.status).toBe(422);
      expect(empty.text).toContain('<input id="f-recordNo" name="recordNo" aria-invalid="true" aria-describedby="f-recordNo-error"');
      expect(empty.text).toMatch(/id="f-recordNo-error" role="alert">请填写记录编号/);
      expect(empty.text).toMatch(/id="f-reason-error" role="alert">请写明哪里不对/);
      expect(empty.text).toMatch(/id="f-contact-error" role="alert">联系方式应为 3–60 个字符/);
      expect(empty.text).not.toContain('f-name-error');
      const unknown = await form({ recordNo: `${codeA}-0101-0042`, reason: '不对', contact: '13800000000' });
      expect(unknown.status).toBe(422);
      expect(unknown.text).toMatch(/id="f-recordNo-error" role="alert">没有记录编号为 [A-Z0-9]+-0101-0042 的记录/);
      expect(unknown.text).toContain('>不对</textarea>');
      expect(unknown.text).toContain('value="13800000000"');
    });

    it('the same rate limit as the JSON endpoint: the 4th submission in a minute from one address is 429, a Chinese page', async () => {
      const addr = client();
      for (let i = 0; i < 3; i++) expect((await form({ recordNo: '', reason: '' }, addr)).status).toBe(422);
      const limited = await form({ recordNo: '', reason: '' }, addr);
      expect(limited.status).toBe(429);
      expect(limited.headers['content-type']).toMatch(/^text\/html/);
      expect(limited.text).toContain('提交太频繁');
      expect(limited.text).not.toContain('RATE.LIMITED');
    });

    it('an unknown board is a 404 page in Chinese; a closed window shows no form', async () => {
      const missing = await request(stack.http).get(`/board/${townCode}/ZZ99/${period}/objection`).expect(404);
      expect(missing.headers['content-type']).toMatch(/^text\/html/);
      expect(missing.text).toContain('这一期公示不存在或尚未公示');
      await stack.db.query(`UPDATE review_cycles SET window_ends_at = now() - interval '1 second' WHERE village_id = $1 AND period = $2`, [f.villageA, period]);
      const closed = await request(stack.http).get(pagePath()).expect(200);
      expect(closed.text).toContain('本期异议期已于');
      expect(closed.text).not.toContain('<form');
      const late = await form({ recordNo: numbers.values().next().value as string, reason: '太晚了吗' });
      expect(late.status).toBe(422);
      expect(late.text).toContain('本期异议期已于');
      expect(late.text).not.toContain('<form');
    });
  });

  it('the board prints what the village and town set: committee, phones; household numbers only when the town says so', async () => {
    await request(stack.http).patch(`/api/v1/villages/${f.villageB}/board-settings`).set('authorization', t.town_admin).send({ committee: '西村村民委员会 西村信用议事会', contactPhone: '0631-8123456' }).expect(200);
    const bad = await request(stack.http).patch(`/api/v1/villages/${f.villageB}/board-settings`).set('authorization', t.town_admin).send({ contactPhone: 'call me' }).expect(400);
    expect(bad.body.code).toBe('VALIDATION.FAILED');
    await request(stack.http).patch(`/api/v1/villages/${f.villageB}/board-settings`).set('authorization', t.village_clerk).send({ committee: '我村' }).expect(403);
    await request(stack.http).patch('/api/v1/towns/current/settings').set('authorization', t.town_admin).send({ contactPhone: '12345', boardHouseholdNumbers: true }).expect(200);
    const [hh] = await stack.db.query(`SELECT h.code FROM residents r JOIN households h ON h.id = r.household_id WHERE r.id = $1`, [f.residentsB[0]]);
    const bIds = [...numbers.keys()].filter((id) => !numbers.get(id)?.startsWith(codeA));
    await publish(B, bIds.map((entryId) => ({ entryId, decision: 'approve' as const })));
    const b = await board(f.villageB);
    expect(b).toMatchObject({ committee: '西村村民委员会 西村信用议事会', contactPhone: '0631-8123456', supervisionPhone: '12345' });
    expect(b.residents[0].name).toContain(`（${hh.code}户）`);
    const html = (await request(stack.http).get(`/board/${townCode}/${(await stack.db.query(`SELECT code FROM villages WHERE id = $1`, [f.villageB]))[0].code}/${period}`).expect(200)).text;
    expect(html).toContain('发布单位：西村村民委员会 西村信用议事会');
    expect(html).toContain('联系电话：0631-8123456');
    expect(html).toContain('监督电话：12345');
    // Village A was published with the setting off: no household numbers there.
    expect(JSON.stringify(await board(f.villageA))).not.toContain('户）');
  });

  it('the migration numbers entries that existed before it, in the order they were entered', async () => {
    const migration = new BoardRecordNumbers1795483000000();
    const runner = stack.db.createQueryRunner();
    try {
      const before = await stack.db.query(`SELECT id, record_no FROM deed_entries WHERE village_id = $1 ORDER BY entered_at, id`, [f.villageA]);
      await runner.startTransaction();
      await migration.down(runner);
      await migration.up(runner);
      const after = await runner.query(`SELECT id, record_no FROM deed_entries WHERE village_id = $1 ORDER BY entered_at, id`, [f.villageA]);
      const [counter] = await runner.query(`SELECT last_seq FROM record_counters WHERE village_id = $1 AND period = $2`, [f.villageA, period]);
      const objections = await runner.query(`SELECT o.number, d.record_no FROM objections o JOIN deed_entries d ON d.id = o.entry_id WHERE o.village_id = $1`, [f.villageA]);
      await runner.rollbackTransaction();
      // The same entries, numbered 1…n in the order they were entered (entered_at, then id).
      expect(after.map((r: { id: string }) => r.id)).toEqual(before.map((r: { id: string }) => r.id));
      const prefix = `${codeA}-${period.slice(2, 4)}${period.slice(5, 7)}-`;
      expect(after.map((r: { record_no: string }) => r.record_no)).toEqual(after.map((_: unknown, i: number) => `${prefix}${String(i + 1).padStart(4, '0')}`));
      for (const r of after) expect(r.record_no).toMatch(RECORD);
      expect(counter.last_seq).toBe(before.length);
      for (const o of objections) expect(o.number).toMatch(new RegExp(`^${o.record_no}-Y\\d$`));
    } finally {
      await runner.release();
    }
  });
});
