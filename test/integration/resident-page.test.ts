import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { residentTokenHash } from '@app/resident/resident-token';
import { verifyProof } from '../../web/src/lib/merkle-verify';
import { BAD_TOKENS_PER_MINUTE } from '@app/resident/resident-limits';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { finalizeNow, PERSONAL, personalise, publishMonth, villageA } from './board-helpers';

/** Issue 18 §2: residents' access tokens (issue, reissue, revoke, scope) and the phone page's api. */
describe('resident access tokens and the resident page api', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let period: string;
  let entryIds: string[];
  const me = (token: string) => request(stack.http).get('/api/v1/resident/me').set('x-resident-token', token);
  const board = (token: string) => request(stack.http).get('/api/v1/resident/me/board').set('x-resident-token', token);
  const issue = (residentId: string, who: string) => request(stack.http).post(`/api/v1/residents/${residentId}/access-token`).set('authorization', who);
  const a0 = () => f.residentsA[0];
  const a1 = () => f.residentsA[1];

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 3);
    await personalise(stack, f);
    t = await bearers(stack.http, f);
    ({ period, entryIds } = await publishMonth(stack, t, villageA(f, t), [
      { residentId: a0(), itemCode: 'T57', points: 5, reason: '救起落水儿童', evidenceNote: '村委会证明' },
      { residentId: a0(), itemCode: 'B01', evidenceNote: '敬告单 1 号' },
      { residentId: a1(), itemCode: 'T57', points: 3, reason: '帮助邻里', evidenceNote: '邻居证明' },
    ]));
  });
  afterAll(async () => stack?.close());

  it('a village clerk issues a token: url-safe, ≥128 bits, only its hash stored, an audit row written', async () => {
    const res = await issue(a0(), t.village_clerk);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { token, pagePath, revokedPrevious } = res.body;
    expect(token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(pagePath).toBe(`/r/#${token}`);
    expect(revokedPrevious).toBe(false);
    const rows = await stack.db.query(`SELECT token_hash, revoked_at FROM resident_access_tokens WHERE resident_id = $1`, [a0()]);
    expect(rows).toEqual([{ token_hash: residentTokenHash(token), revoked_at: null }]);
    const [card] = await stack.db.query(`SELECT card_code, id_last4 FROM residents WHERE id = $1`, [a0()]);
    expect(token).not.toContain(card.card_code);
    const audit = await stack.db.query(`SELECT actor_id, summary FROM audit_log WHERE action = 'resident.access_token_issue' AND target_id = $1`, [a0()]);
    expect(audit).toEqual([{ actor_id: f.users.village_clerk.id, summary: { via: 'single', revokedPrevious: false } }]);
  });

  it("the token opens that resident's page only: their name, balance, grade and next grade, their own board lines", async () => {
    const token = (await issue(a0(), t.village_clerk).expect(201)).body.token as string;
    const res = await me(token).expect(200);
    expect(res.body).toMatchObject({ name: PERSONAL[0].name, villageName: '东村', townName: '测试镇', balance: 0, creditScore: 1000, grade: 'A', nextGrade: { grade: 'AA', minScore: 1030, pointsNeeded: 30 }, lines: [] });
    const b = (await board(token).expect(200)).body.board;
    expect(b).toMatchObject({ villageId: f.villageA, period, objectionOpen: true, state: 'publicized' });
    expect(b.myLines.map((l: { entryId: string }) => l.entryId).sort()).toEqual(entryIds.slice(0, 2).sort());
    expect(b.myLines.every((l: { objectable: boolean }) => l.objectable)).toBe(true);
    // The other resident's token sees only their own line.
    const other = (await issue(a1(), t.village_clerk).expect(201)).body.token as string;
    expect((await me(other).expect(200)).body.name).toBe(PERSONAL[1].name);
    expect((await board(other).expect(200)).body.board.myLines.map((l: { entryId: string }) => l.entryId)).toEqual([entryIds[2]]);
  });

  it('an objection filed from a board line through the public api marks that line disputed', async () => {
    const token = (await issue(a0(), t.village_clerk).expect(201)).body.token as string;
    // The B01 line (entryIds[1]): the statement test below expects it to wait for its answer.
    const line = (await board(token).expect(200)).body.board.myLines.find((l: { entryId: string }) => l.entryId === entryIds[1]);
    await request(stack.http).post(`/api/v1/public/boards/${f.villageA}/${period}/objections`).send({ entryId: line.entryId, name: PERSONAL[0].name, contact: '13900000000', reason: '分值有误' }).expect(201);
    const after = (await board(token).expect(200)).body.board.myLines.find((l: { entryId: string }) => l.entryId === line.entryId);
    expect(after).toMatchObject({ status: 'disputed', statusLabel: '异议处理中', objectable: true });
  });

  it('reissue revokes the old token at once; revoke stops the current one', async () => {
    const first = (await issue(a0(), t.village_clerk).expect(201)).body.token as string;
    await me(first).expect(200);
    const second = await issue(a0(), t.town_admin).expect(201);
    expect(second.body.revokedPrevious).toBe(true);
    const old = await me(first).expect(401);
    expect(old.body).toMatchObject({ code: 'RESIDENT.TOKEN_INVALID' });
    expect(old.body.message).toMatch(/链接无效或已停用/);
    await me(second.body.token).expect(200);
    const [{ n }] = await stack.db.query(`SELECT count(*)::int AS n FROM resident_access_tokens WHERE resident_id = $1 AND revoked_at IS NULL`, [a0()]);
    expect(n).toBe(1);

    const rv = await request(stack.http).post(`/api/v1/residents/${a0()}/access-token/revoke`).set('authorization', t.village_clerk).expect(200);
    expect(rv.body).toEqual({ residentId: a0(), revoked: true });
    await me(second.body.token).expect(401);
    const again = await request(stack.http).post(`/api/v1/residents/${a0()}/access-token/revoke`).set('authorization', t.village_clerk).expect(200);
    expect(again.body.revoked).toBe(false);
    const audit = await stack.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'resident.access_token_revoke' AND target_id = $1`, [a0()]);
    expect(audit[0].n).toBe(1);
  });

  it("another village's clerk, another town's admin and other roles cannot issue, revoke or print cards", async () => {
    for (const who of [t.clerk_b, t.other_town_admin]) {
      expect((await issue(a0(), who)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await request(stack.http).post(`/api/v1/residents/${a0()}/access-token/revoke`).set('authorization', who)).body.code).toBe('AUTH.OUT_OF_SCOPE');
      expect((await request(stack.http).post(`/api/v1/villages/${f.villageA}/card-sheet`).set('authorization', who).send({})).body.code).toBe('AUTH.OUT_OF_SCOPE');
    }
    for (const who of [t.village_reviewer, t.auditor, t.shop_clerk]) expect((await issue(a0(), who)).body.code).toBe('AUTH.FORBIDDEN');
    expect((await issue('00000000-0000-4000-8000-000000000000', t.village_clerk)).body.code).toBe('RESIDENT.NOT_FOUND');
    expect((await issue('not-a-uuid', t.village_clerk)).status).toBe(400);
  });

  it('a card sheet reissues every active resident of the village (or one household), in household order', async () => {
    const before = (await issue(a1(), t.village_clerk).expect(201)).body.token as string;
    await stack.db.query(`UPDATE residents SET status = 'moved' WHERE id = $1`, [f.residentsA[2]]);
    const res = await request(stack.http).post(`/api/v1/villages/${f.villageA}/card-sheet`).set('authorization', t.village_clerk).send({});
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ villageId: f.villageA, villageName: '东村', townName: '测试镇', householdCode: null });
    expect(res.body.cards.map((c: { residentId: string }) => c.residentId).sort()).toEqual([a0(), a1()].sort());
    await me(before).expect(401);
    for (const c of res.body.cards) {
      expect(c.pagePath).toBe(`/r/#${c.token}`);
      expect((await me(c.token).expect(200)).body.name).toBe(c.name);
    }
    const [hh] = await stack.db.query(`SELECT household_id AS id FROM residents WHERE id = $1`, [a0()]);
    const one = await request(stack.http).post(`/api/v1/villages/${f.villageA}/card-sheet`).set('authorization', t.town_admin).send({ householdId: hh.id }).expect(201);
    expect(one.body.householdCode).toMatch(/^H/);
    expect(one.body.cards).toHaveLength(2);
    const audit = await stack.db.query(`SELECT summary->>'via' AS via, count(*)::int AS n FROM audit_log WHERE action = 'resident.access_token_issue' AND summary->>'via' <> 'single' GROUP BY 1 ORDER BY 1`);
    expect(audit).toEqual([
      { via: 'household_sheet', n: 2 },
      { via: 'village_sheet', n: 2 },
    ]);
    const other = await request(stack.http).post(`/api/v1/villages/${f.villageA}/card-sheet`).set('authorization', t.village_clerk).send({ householdId: '00000000-0000-4000-8000-000000000000' });
    expect(other.body.code).toBe('ORG.HOUSEHOLD_NOT_FOUND');
    expect((await issue(f.residentsA[2], t.village_clerk)).body.code).toBe('RESIDENT.NOT_ACTIVE');
    await stack.db.query(`UPDATE residents SET status = 'active' WHERE id = $1`, [f.residentsA[2]]);
  });

  it('after finalize the statement explains each posted line; the JSON holds no phone, ID digits or other residents\' names', async () => {
    await finalizeNow(stack, f.villageA, period);
    const token = (await issue(a0(), t.village_clerk).expect(201)).body.token as string;
    const res = await me(token).expect(200);
    // T57 (+5) posted; the objected B01 line waits for its answer; B01's first time is a warning anyway.
    expect(res.body.balance).toBe(5);
    expect(res.body.creditScore).toBe(1005);
    const t57 = res.body.lines.find((l: { itemCode: string }) => l.itemCode === 'T57');
    expect(t57).toMatchObject({ points: 5, pointsLabel: '+5', committeeReason: '救起落水儿童', occurredOn: expect.any(String) });
    expect(t57.ruleText).toBeTruthy();
    expect(t57.decision).toMatch(/议事会通过/);
    const b = await board(token).expect(200);
    const text = JSON.stringify(res.body) + JSON.stringify(b.body);
    for (const p of PERSONAL) {
      expect(text).not.toContain(p.phone);
      expect(text).not.toContain(p.idLast4);
      if (p.name !== PERSONAL[0].name) expect(text).not.toContain(p.name);
    }
    expect(text).not.toMatch(/(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])/);
  });

  it("the resident's proof is of their own account head and checks against the checkpoint root (WebCrypto verifier)", async () => {
    const token = (await issue(a0(), t.village_clerk).expect(201)).body.token as string;
    const res = await request(stack.http).get('/api/v1/resident/me/proof').set('x-resident-token', token).expect(200);
    expect(res.body).toMatchObject({ version: 2, villageId: f.villageA, period, leaf: { accountId: a0() } });
    const [cp] = await stack.db.query(`SELECT coalesce(rc.checkpoint_hash, cc.hash) AS root FROM cycle_checkpoints cc JOIN review_cycles rc ON rc.id = cc.cycle_id WHERE rc.village_id = $1 AND rc.period = $2`, [f.villageA, period]);
    expect(await verifyProof(res.body, cp.root)).toMatchObject({ ok: true });
    expect(await verifyProof(res.body, 'f'.repeat(64))).toMatchObject({ ok: false, reason: 'root_mismatch' });
    // Nothing posted yet in village B: no account, so nothing to prove; a clear 404 the page explains.
    const b = (await issue(f.residentsB[0], t.clerk_b).expect(201)).body.token as string;
    expect((await request(stack.http).get('/api/v1/resident/me/proof').set('x-resident-token', b).expect(404)).body.code).toBe('LEDGER.ACCOUNT_NOT_FOUND');
  });

  it('missing, malformed and unknown tokens → 401 RESIDENT.TOKEN_INVALID; staff tokens do not work; many bad tokens → 429', async () => {
    const none = await request(stack.http).get('/api/v1/resident/me').expect(401);
    expect(none.body.code).toBe('RESIDENT.TOKEN_INVALID');
    expect((await request(stack.http).get('/api/v1/resident/me').set('authorization', t.village_clerk)).body.code).toBe('RESIDENT.TOKEN_INVALID');
    for (const bad of ['abc', 'a'.repeat(500), 'a'.repeat(23) + '!', 'A'.repeat(24), "' OR 1=1 --".padEnd(24, 'x')]) {
      const res = await me(bad);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('RESIDENT.TOKEN_INVALID');
    }
    const valid = (await issue(a1(), t.village_clerk).expect(201)).body.token as string;
    // Earlier tests sent a few revoked tokens too: keep sending wrong ones until the limit answers.
    const statuses: number[] = [];
    for (let i = 0; i <= BAD_TOKENS_PER_MINUTE && statuses.at(-1) !== 429; i++) statuses.push((await me('B'.repeat(24))).status);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((s) => s === 401)).toBe(true);
    const limited = await me('C'.repeat(24));
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE.LIMITED');
    // A good token still works from that address: the limit is on wrong tokens.
    await me(valid).expect(200);
  });
});
