import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { answer, finalizeNow, object, publishMonth, villageA } from './board-helpers';

interface Line {
  entryId: string;
  status: string;
}

/**
 * The public board as residents reach it: by the village's code, from a public list, and always
 * current. The cache is on here (a minute, as in production it may be), unlike in other tests.
 */
describe('public board: current at once, found by village code', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let period: string;
  let entryIds: string[];
  let townCode: string;
  const lineOf = (body: { residents: Array<{ lines: Line[] }> }, id: string) => body.residents.flatMap((r) => r.lines).find((l) => l.entryId === id);

  beforeAll(async () => {
    // A fixed base: supertest's Host changes port per request, and the QR addresses follow the Host.
    stack = await startStack({ env: { BOARD_CACHE_MS: '60000', PUBLIC_BASE_URL: 'https://xinyi.example.cn' } });
    f = await seedTown(stack.db, 3);
    t = await bearers(stack.http, f);
    // Codes as villages get them through the API (the fixture's are random).
    await stack.db.query(`UPDATE villages SET code = 'DC' WHERE id = $1`, [f.villageA]);
    await stack.db.query(`UPDATE villages SET code = 'XC' WHERE id = $1`, [f.villageB]);
    townCode = (await stack.db.query(`SELECT code FROM towns WHERE id = $1`, [f.townId]))[0].code;
    ({ period, entryIds } = await publishMonth(stack, t, villageA(f, t), [
      { residentId: f.residentsA[0], itemCode: 'T10' },
      { residentId: f.residentsA[1], itemCode: 'T10' },
    ]));
  });
  afterAll(async () => stack?.close());

  it('an objection and its answer show on the board at once; caches revalidate by ETag', async () => {
    const path = `/api/v1/public/boards/${f.villageA}/${period}`;
    const first = await request(stack.http).get(path).expect(200);
    expect(first.headers['cache-control']).toBe('public, no-cache');
    expect(lineOf(first.body, entryIds[0])?.status).toBe('approved');
    const html = await request(stack.http).get(`${path}.html`).expect(200);
    await request(stack.http).get(path).set('if-none-match', first.headers.etag as string).expect(304);

    const objectionId = await object(stack, f.villageA, period, entryIds[0]);
    const disputed = await request(stack.http).get(path).set('if-none-match', first.headers.etag as string).expect(200);
    expect(lineOf(disputed.body, entryIds[0])?.status).toBe('disputed');
    expect(disputed.headers.etag).not.toBe(first.headers.etag);
    const disputedHtml = await request(stack.http).get(`${path}.html`).set('if-none-match', html.headers.etag as string).expect(200);
    expect(disputedHtml.text).toContain('异议处理中');

    await answer(stack, villageA(f, t), objectionId, 'upheld');
    const revoked = await request(stack.http).get(path).set('if-none-match', disputed.headers.etag as string).expect(200);
    expect(lineOf(revoked.body, entryIds[0])?.status).toBe('revoked');
    // Unchanged since: the revalidation is a 304 again.
    await request(stack.http).get(path).set('if-none-match', revoked.headers.etag as string).expect(304);
  });

  it('a board is reached by village code (any case, .html too) as well as by id', async () => {
    const byId = await request(stack.http).get(`/api/v1/public/boards/${f.villageA}/${period}`).expect(200);
    const byCode = await request(stack.http).get(`/api/v1/public/boards/DC/${period}`).expect(200);
    expect(byCode.body).toEqual(byId.body);
    expect((await request(stack.http).get(`/api/v1/public/boards/dc/${period}`).expect(200)).body).toEqual(byId.body);
    const html = await request(stack.http).get(`/api/v1/public/boards/DC/${period}.html`).expect(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect((await request(stack.http).get(`/api/v1/public/boards/NOPE/${period}`).expect(404)).body.code).toBe('BOARD.NOT_FOUND');
    expect((await request(stack.http).get(`/api/v1/public/boards/XC/${period}`).expect(404)).body.code).toBe('BOARD.NOT_FOUND');
    expect((await request(stack.http).get(`/api/v1/public/boards/D-C!/${period}`).expect(400)).body.code).toBe('VALIDATION.FAILED');
    const list = await request(stack.http).get('/api/v1/public/villages/DC/boards').expect(200);
    expect(list.body.map((b: { period: string }) => b.period)).toEqual([period]);
  });

  it('a code two towns share needs the town, and says so', async () => {
    await stack.db.query(`UPDATE villages SET code = 'DC' WHERE id = $1`, [f.villageOther]);
    const otherTown = (await stack.db.query(`SELECT code FROM towns WHERE id = $1`, [f.otherTownId]))[0].code as string;
    const ambiguous = await request(stack.http).get(`/api/v1/public/boards/DC/${period}`).expect(409);
    expect(ambiguous.body).toMatchObject({ code: 'BOARD.VILLAGE_CODE_AMBIGUOUS', details: { towns: expect.arrayContaining([townCode, otherTown]) } });
    await request(stack.http).get(`/api/v1/public/boards/DC/${period}`).query({ town: townCode }).expect(200);
    expect((await request(stack.http).get(`/api/v1/public/boards/DC/${period}`).query({ town: otherTown }).expect(404)).body.code).toBe('BOARD.NOT_FOUND');
  });

  it('the public village list: each town, its villages, their published boards with addresses by code', async () => {
    const res = await request(stack.http).get('/api/v1/public/villages').expect(200);
    expect(res.headers['cache-control']).toBe('public, no-cache');
    const town = res.body.find((x: { code: string }) => x.code === townCode);
    expect(town.name).toBe('测试镇');
    const dc = town.villages.find((v: { code: string }) => v.code === 'DC');
    expect(dc).toMatchObject({ id: f.villageA, name: '东村', boards: [{ period, state: 'publicized', finalized: false }] });
    // The address it gives works as it is, and shows no personal data beyond what the board shows.
    const board = await request(stack.http).get(dc.boards[0].url).expect(200);
    expect(board.body.period).toBe(period);
    await request(stack.http).get(dc.boards[0].htmlUrl).expect(200);
    expect(town.villages.find((v: { code: string }) => v.code === 'XC').boards).toEqual([]);
    const one = await request(stack.http).get('/api/v1/public/villages').query({ town: townCode }).expect(200);
    expect(one.body.map((x: { code: string }) => x.code)).toEqual([townCode]);
    expect(JSON.stringify(res.body)).not.toMatch(/1391234|card_code|idLast4/);
  });

  it('finalize shows on the board at once (same process)', async () => {
    const path = `/api/v1/public/boards/${f.villageA}/${period}`;
    const before = await request(stack.http).get(path).expect(200);
    expect(before.body.finalized).toBe(false);
    await finalizeNow(stack, f.villageA, period);
    const after = await request(stack.http).get(path).set('if-none-match', before.headers.etag as string).expect(200);
    expect([after.body.finalized, lineOf(after.body, entryIds[1])?.status]).toEqual([true, 'posted']);
  });
});
