import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerService } from '@app/ledger/ledger.service';
import { merkleCheckpointRoot, rootFromProof, shortRoot } from '@app/ledger/merkle';
import { checkpointHash, postingHash } from '@app/ledger/posting-hash';
import { verifyProof } from '../../web/src/lib/merkle-verify';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { finalizeNow, publishMonth, villageA, villageB } from './board-helpers';

/**
 * DESIGN.md §4.4 and issue 18 §4: a finalize checkpoint is a Merkle root over the village's
 * account heads; any account's inclusion proof checks against the root printed on the board (in
 * the browser's verifier, run here on Node's WebCrypto); a rewritten posting breaks the proof and
 * the verification; checkpoints made before version 2 still verify as version 1.
 */
describe('checkpoint v2: Merkle root on the board, inclusion proofs, tamper evidence, v1 kept', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let period: string;
  let root: string;
  const get = (path: string, who: FixtureUser | null, query: Record<string, unknown> = {}) => {
    const r = request(stack.http).get(`/api/v1${path}`).query(query);
    return who ? r.set('authorization', t[who]) : r;
  };
  const asSuperuser = async (table: string, trigger: string, sql: string, params: unknown[]) => {
    await stack.db.query(`ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);
    try {
      await stack.db.query(sql, params);
    } finally {
      await stack.db.query(`ALTER TABLE ${table} ENABLE TRIGGER ${trigger}`);
    }
  };

  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 5);
    t = await bearers(stack.http, f);
    const [r0, r1, r2, r3, r4] = f.residentsA;
    // r0 twice (seq 2), the others once: five accounts, an odd tree.
    const month = await publishMonth(stack, t, villageA(f, t), [
      { residentId: r0, itemCode: 'T10' },
      { residentId: r0, itemCode: 'T10' },
      { residentId: r1, itemCode: 'B02' },
      { residentId: r2, itemCode: 'T57', points: 10, reason: '扑救邻居家火情' },
      { residentId: r3, itemCode: 'T10' },
      { residentId: r4, itemCode: 'B02' },
    ]);
    period = month.period;
    await finalizeNow(stack, f.villageA, period);
    // Village B's month is finalized too, then made to look like a checkpoint from before version 2.
    const B = await villageB(stack, f, t);
    await publishMonth(stack, t, B, [{ residentId: f.residentsB[0], itemCode: 'T10' }]);
    const cycleB = await finalizeNow(stack, f.villageB, period);
    const [cp] = await stack.db.query(`SELECT heads FROM cycle_checkpoints WHERE cycle_id = $1`, [cycleB]);
    const v1 = checkpointHash(
      f.villageB,
      period,
      (cp.heads as Array<[string, number, string]>).map(([accountId, seq, headHash]) => ({ accountId, seq, headHash })),
    );
    await asSuperuser('cycle_checkpoints', 'cycle_checkpoints_append_only', `UPDATE cycle_checkpoints SET version = 1, hash = $2 WHERE cycle_id = $1`, [cycleB, v1]);
    await stack.db.query(`UPDATE review_cycles SET checkpoint_hash = $2 WHERE id = $1`, [cycleB, v1]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('finalize writes a version 2 checkpoint: the Merkle root of the stored heads, on the cycle and on the board (JSON and print)', async () => {
    const [cp] = await stack.db.query(
      `SELECT cc.version, cc.hash, cc.heads, c.checkpoint_hash AS "cycleHash" FROM cycle_checkpoints cc JOIN review_cycles c ON c.id = cc.cycle_id WHERE cc.village_id = $1`,
      [f.villageA],
    );
    expect(cp.version).toBe(2);
    expect(cp.heads).toHaveLength(5);
    const heads = (cp.heads as Array<[string, number, string]>).map(([accountId, seq, headHash]) => ({ accountId, seq, headHash }));
    root = merkleCheckpointRoot(f.villageA, period, heads);
    expect(cp.hash).toBe(root);
    expect(cp.cycleHash).toBe(root);
    expect(heads.find((h) => h.accountId === f.residentsA[0])?.seq).toBe(2);
    expect(heads.find((h) => h.accountId === f.residentsA[3])?.seq).toBe(1);

    const board = await request(stack.http).get(`/api/v1/public/boards/${f.villageA}/${period}`).expect(200);
    expect(board.body.checkpoint).toEqual({ version: 2, root, rootShort: shortRoot(root) });
    expect(board.body.checkpointHash).toBe(root);
    const html = await request(stack.http).get(`/api/v1/public/boards/${f.villageA}/${period}.html`).expect(200);
    expect(html.text).toContain(shortRoot(root));
    expect(html.text).toContain(root);
  });

  it("every account of the village has a proof that the browser's verifier accepts against the printed root (also the short form)", async () => {
    for (const id of f.residentsA) {
      const res = await get(`/ledger/proofs/${id}`, 'auditor').expect(200);
      const p = res.body;
      expect(p).toMatchObject({ version: 2, villageId: f.villageA, period, root, rootShort: shortRoot(root), treeSize: 5, leaf: { accountId: id, villageId: f.villageA, period } });
      // 5 leaves: 0…3 sit three levels deep, leaf 4 pairs with the root of 0…3 alone.
      expect(p.auditPath).toHaveLength(p.leafIndex === 4 ? 1 : 3);
      expect(await verifyProof(p, root)).toMatchObject({ ok: true, matched: 'full' });
      expect(await verifyProof(p, shortRoot(root))).toMatchObject({ ok: true, matched: 'short' });
      expect(rootFromProof(p)).toBe(root);
    }
    // Asking for the period gives the same; the leaf positions are 0…4, each once.
    const indexes = [];
    for (const id of f.residentsA) indexes.push((await get(`/ledger/proofs/${id}`, 'town_admin', { period }).expect(200)).body.leafIndex);
    expect(indexes.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('postings after the checkpoint do not disturb its proof (the head is taken at the checkpoint seq)', async () => {
    const r0 = f.residentsA[0];
    await stack.api.get(LedgerService).postBatch([{ accountId: r0, kind: 'deed', points: 3, sourceRef: `later:${r0}`, counterparty: `town:${f.townId}`, period: '2099-01' }]);
    const p = (await get(`/ledger/proofs/${r0}`, 'village_clerk').expect(200)).body;
    expect(p.leaf.seq).toBe(2);
    expect(p.postingsHashed).toBe(2);
    expect(await verifyProof(p, root)).toMatchObject({ ok: true });
  });

  it('scope and errors: village staff only for their village, nobody outside the town; clear codes', async () => {
    expect((await get(`/ledger/proofs/${f.residentsA[1]}`, 'village_reviewer').expect(200)).body.leaf.accountId).toBe(f.residentsA[1]);
    expect((await get(`/ledger/proofs/${f.residentsB[0]}`, 'village_clerk').expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect((await get(`/ledger/proofs/${f.residentsA[1]}`, 'other_town_admin').expect(403)).body.code).toBe('AUTH.OUT_OF_SCOPE');
    expect((await get(`/ledger/proofs/${f.residentsA[1]}`, null).expect(401)).body.code).toBe('AUTH.UNAUTHENTICATED');
    expect((await get(`/ledger/proofs/${f.residentsA[1]}`, 'shop_clerk').expect(403)).body.code).toBe('AUTH.FORBIDDEN');
    expect((await get(`/ledger/proofs/${f.residentsA[1]}`, 'auditor', { period: '2001-01' }).expect(404)).body.code).toBe('LEDGER.CHECKPOINT_NOT_FOUND');
    expect((await get(`/ledger/proofs/${f.residentsA[1]}`, 'auditor', { period: '2026-1' }).expect(400)).body.code).toBe('VALIDATION.FAILED');
    expect((await get(`/ledger/proofs/00000000-0000-4000-8000-000000000000`, 'auditor').expect(404)).body.code).toBe('LEDGER.ACCOUNT_NOT_FOUND');
    // An account opened after the checkpoint is not in it.
    const [hh] = await stack.db.query(`SELECT household_id FROM residents WHERE id = $1`, [f.residentsA[0]]);
    const [late] = await stack.db.query(
      `INSERT INTO residents (town_id, village_id, household_id, name, gender, birth_year, card_code, id_hash, id_last4)
       VALUES ($1, $2, $3, '新户', 'F', 1990, 'CLATE1', md5('late'), '0001') RETURNING id`,
      [f.townId, f.villageA, hh.household_id],
    );
    await stack.api.get(LedgerService).postBatch([{ accountId: late.id, kind: 'deed', points: 1, sourceRef: `later:${late.id}`, counterparty: `town:${f.townId}`, period: '2099-01' }]);
    expect((await get(`/ledger/proofs/${late.id}`, 'auditor').expect(404)).body.code).toBe('LEDGER.NOT_IN_CHECKPOINT');
  });

  it('a version 1 checkpoint (from before) still verifies, prints as before, and says it has no proofs', async () => {
    const report = (await get('/ledger/verify', 'auditor').expect(200)).body;
    expect(report).toMatchObject({ ok: true, broken: [], checkpoints: { checked: 2, broken: [] } });
    const board = (await request(stack.http).get(`/api/v1/public/boards/${f.villageB}/${period}`).expect(200)).body;
    expect(board.checkpoint).toMatchObject({ version: 1 });
    const html = await request(stack.http).get(`/api/v1/public/boards/${f.villageB}/${period}.html`).expect(200);
    expect(html.text).toContain(`核验码（校验哈希）：<span class="checkpoint">${board.checkpoint.root}</span>`);
    const res = await get(`/ledger/proofs/${f.residentsB[0]}`, 'auditor').expect(409);
    expect(res.body).toMatchObject({ code: 'LEDGER.CHECKPOINT_WITHOUT_PROOFS', details: { version: 1, period } });
  });

  it("a posting changed in place breaks that account's proof; the chain check names it", async () => {
    const r1 = f.residentsA[1];
    await asSuperuser('postings', 'postings_append_only', `UPDATE postings SET points = points - 40 WHERE account_id = $1 AND seq = 1`, [r1]);
    const p = (await get(`/ledger/proofs/${r1}`, 'auditor').expect(200)).body;
    const r = await verifyProof(p, root);
    expect(r).toMatchObject({ ok: false, reason: 'root_mismatch' });
    expect(r.message).toContain('核验失败');
    // The others still verify: the proof is per account.
    expect(await verifyProof((await get(`/ledger/proofs/${f.residentsA[3]}`, 'auditor').expect(200)).body, root)).toMatchObject({ ok: true });
    const report = (await get('/ledger/verify', 'auditor').expect(200)).body;
    expect(report.ok).toBe(false);
    expect(report.broken).toEqual([expect.objectContaining({ accountId: r1, seq: 1, problem: 'hash_mismatch' })]);
  });

  it('a whole chain rewritten with recomputed hashes passes the chain check, but not the checkpoint: proof fails, verify names the head', async () => {
    const r2 = f.residentsA[2];
    const [row] = await stack.db.query(
      `SELECT account_id AS "accountId", seq, kind, points, source_ref AS "sourceRef", counterparty, period, item_code AS "itemCode", memo, posted_at AS "postedAt", prev_hash AS "prevHash", hash
       FROM postings WHERE account_id = $1 AND seq = 1`,
      [r2],
    );
    const forged = postingHash({ ...row, points: 100 });
    await asSuperuser('postings', 'postings_append_only', `UPDATE postings SET points = 100, hash = $2 WHERE account_id = $1 AND seq = 1`, [r2, forged]);
    await stack.db.query(`UPDATE accounts SET balance = balance + 90, credit_score = credit_score + 90, head_hash = $2 WHERE resident_id = $1`, [r2, forged]);

    const p = (await get(`/ledger/proofs/${r2}`, 'auditor').expect(200)).body;
    expect(p.leaf.headHash).toBe(forged);
    expect(await verifyProof(p, root)).toMatchObject({ ok: false, reason: 'root_mismatch' });
    expect(await verifyProof(p, shortRoot(root))).toMatchObject({ ok: false, reason: 'root_mismatch' });

    const report = (await get('/ledger/verify', 'auditor').expect(200)).body;
    // The chain of r2 is self-consistent now: only r1's in-place change is a broken link…
    expect(report.broken.map((b: { accountId: string }) => b.accountId)).toEqual([f.residentsA[1]]);
    // …and the village A checkpoint names r2's head as no longer in the ledger (r1's posting kept
    // its stored hash, so for r1 it is the chain check above that speaks).
    expect(report.checkpoints).toMatchObject({
      checked: 2,
      broken: [expect.objectContaining({ villageId: f.villageA, version: 2, problem: 'head_missing', accountId: r2, seq: 1, expected: row.hash, found: forged })],
    });
    const audit = (await get('/audit/verify', 'auditor').expect(200)).body;
    expect(audit).toMatchObject({ ok: false, checkpoints: { checked: 2, broken: [expect.objectContaining({ villageId: f.villageA, problem: 'head_missing' })] } });
  });

  it('a rewritten stored checkpoint (heads changed to fit) no longer gives the root printed on the board', async () => {
    const r2 = f.residentsA[2];
    const [{ hash }] = await stack.db.query(`SELECT hash FROM postings WHERE account_id = $1 AND seq = 1`, [r2]);
    const [cp] = await stack.db.query(`SELECT cycle_id, heads FROM cycle_checkpoints WHERE village_id = $1`, [f.villageA]);
    const heads = (cp.heads as Array<[string, number, string]>).map((h) => (h[0] === r2 ? [h[0], h[1], hash] : h));
    await asSuperuser('cycle_checkpoints', 'cycle_checkpoints_append_only', `UPDATE cycle_checkpoints SET heads = $2 WHERE cycle_id = $1`, [cp.cycle_id, JSON.stringify(heads)]);
    // Another account's audit path covers every other leaf, r2's forged one included: even its
    // honest proof no longer leads to the root printed on the board.
    const p = (await get(`/ledger/proofs/${f.residentsA[3]}`, 'auditor').expect(200)).body;
    expect(p.root).toBe(root);
    expect(await verifyProof(p, root)).toMatchObject({ ok: false, reason: 'root_mismatch' });
    const report = (await get('/ledger/verify', 'auditor').expect(200)).body;
    expect(report.checkpoints.broken).toEqual([expect.objectContaining({ villageId: f.villageA, version: 2, problem: 'hash_mismatch', expected: expect.not.stringMatching(root), found: root })]);
  });
});
