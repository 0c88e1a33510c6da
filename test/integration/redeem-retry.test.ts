import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { LedgerService } from '@app/ledger/ledger.service';
import { RedemptionBatcher } from '@app/shop/redemption-batcher';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { COPY_RECEIPT_SQL, HeldLocks, lockWaiters } from '../support/locks';
import { waitFor } from '../support/wait-for';

/**
 * A redemption that a batch's lock timeout (REDEEM_BATCH_LOCK_TIMEOUT_MS, 55P03) took out is
 * retried once, and that retry runs alone: no batch, no lock timeout. Before, the retry went
 * through the batcher again; when both slots were busy it landed in the next batch, met the same
 * lock, timed out again, and the till got a 500 for a sale that should simply have waited.
 *
 * The lock here is a twin: a receipt with the same terminal + idempotency key, written by a
 * transaction of the test's that stays open. REDEEM_BATCH_MAX is 2 so what is queued is cut into
 * batches where the test wants them, and the slots are kept busy with goods rows the test holds.
 */
describe('a redemption a batch timed out is retried alone', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let key: string;
  let n = 0;
  const locks = new HeldLocks();

  const cardOf = async (id: string) => (await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [id]))[0].card_code as string;
  const fund = (residentId: string, points: number) =>
    stack.api.get(LedgerService).postBatch([{ accountId: residentId, kind: 'opening_balance', points, sourceRef: `retry:${residentId}:${++n}`, counterparty: `town:${f.townId}`, period: '2026-01', memo: '测试' }]);
  async function goods(name: string, stock: number): Promise<string> {
    const g = await request(stack.http).post(`/api/v1/shops/${f.shopA}/goods`).set('authorization', t.shop_clerk).send({ name, unit: '件', pricePoints: 10 }).expect(201);
    await request(stack.http).post(`/api/v1/goods/${g.body.id}/stock`).set('authorization', t.shop_clerk).send({ kind: 'received', quantity: stock, reason: '进货' }).expect(200);
    return g.body.id;
  }
  const post = async (residentId: string, goodsId: string, idempotencyKey: string) =>
    request(stack.http)
      .post('/api/v1/terminal/redemptions')
      .set('x-api-key', key)
      .send({ cardCode: await cardOf(residentId), lines: [{ goodsId, quantity: 1 }], idempotencyKey });
  /** The batcher's queue (private): which redemptions wait for a slot. */
  const queued = () => (stack.api.get(RedemptionBatcher) as unknown as { queue: Array<{ r: { idempotencyKey: string } }> }).queue.map((p) => p.r.idempotencyKey);
  const inQueue = (k: string) => waitFor(() => queued().includes(k), { description: `${k} queued` });
  const receipts = async (residentId: string) => Number((await stack.db.query(`SELECT count(*)::int AS n FROM redemptions WHERE resident_id = $1`, [residentId]))[0].n);

  beforeAll(async () => {
    stack = await startStack({ env: { REDEEM_BATCH_MAX: '2', REDEEM_BATCH_IN_FLIGHT: '2', REDEEM_BATCH_LOCK_TIMEOUT_MS: '100' } });
    f = await seedTown(stack.db, 8);
    t = await bearers(stack.http, f);
    key = (await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', t.town_admin).send({ name: '收银台 1' }).expect(201)).body.apiKey;
  });
  afterEach(async () => {
    await locks.endAll();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('its retry lands behind busy slots, meets the same lock, and waits for it instead of answering 500', async () => {
    const [seed, rK, rQ2, rS1, rS2, rQ3, rQ4] = f.residentsA;
    for (const r of [seed, rK, rQ2, rS1, rS2, rQ3, rQ4]) await fund(r, 100);
    const [gA, gB, gC, g] = [await goods('毛巾', 10), await goods('香皂', 10), await goods('食盐', 10), await goods('肥皂', 10)];
    // A receipt to copy; then its copy under key "retry-key-K", in flight in a transaction that stays open.
    expect((await post(seed, g, 'retry-seed')).status).toBe(201);
    const twin = await locks.hold(stack.db, COPY_RECEIPT_SQL, ['retry-seed', 'retry-key-K']);
    const goodsRow = (id: string) => locks.hold(stack.db, `SELECT 1 FROM goods WHERE id = $1 FOR UPDATE`, [id]);
    const [lockA, lockB, lockC] = [await goodsRow(gA), await goodsRow(gB), await goodsRow(gC)];

    // Both slots: one redemption each, waiting on a goods row the test holds.
    const s1 = post(rS1, gA, 'retry-key-S1');
    const s2 = post(rS2, gB, 'retry-key-S2');
    await waitFor(async () => (await lockWaiters(stack.db)) >= 2, { description: 'both slots waiting' });
    // Queued in this order: [K, Q2] will be one batch (REDEEM_BATCH_MAX 2), Q3 the next.
    const k = post(rK, g, 'retry-key-K');
    await inQueue('retry-key-K');
    const q2 = post(rQ2, g, 'retry-key-Q2');
    await inQueue('retry-key-Q2');
    const q3 = post(rQ3, gC, 'retry-key-Q3');
    await inQueue('retry-key-Q3');

    // Slot 1 frees: [K, Q2] runs; K waits on its twin past the lock timeout (55P03), Q2 commits;
    // Q3 takes slot 1 at once (and waits on its goods row), so slot 2 is busy too when K retries.
    await locks.end(lockA, 'COMMIT');
    await waitFor(async () => (await receipts(rQ2)) === 1, { description: 'the batch [K, Q2] committed' });
    // K's retry: in the queue (the old way), or running alone and waiting on its twin.
    await waitFor(async () => queued().includes('retry-key-K') || (await lockWaiters(stack.db)) >= 3, { description: 'K retried' });
    // Something to share a batch with, queued behind it.
    const q4 = post(rQ4, g, 'retry-key-Q4');
    await inQueue('retry-key-Q4');
    // Slot 2 frees. A retry still in the queue would go with Q4 in a batch and time out again.
    await locks.end(lockB, 'COMMIT');
    expect((await s1).status).toBe(201);
    expect((await s2).status).toBe(201);
    await locks.end(lockC, 'COMMIT');
    await new Promise((r) => setTimeout(r, 300)); // well past the batch lock timeout
    await locks.end(twin, 'ROLLBACK');

    const [kr, q2r, q3r, q4r] = await Promise.all([k, q2, q3, q4]);
    expect({ status: kr.status, code: kr.body.code }).toEqual({ status: 201, code: undefined });
    expect([q2r.status, q3r.status, q4r.status]).toEqual([201, 201, 201]);
    // Sold once, and everything balances.
    expect(await receipts(rK)).toBe(1);
    const [{ balance }] = await stack.db.query(`SELECT balance FROM accounts WHERE resident_id = $1`, [rK]);
    expect(balance).toBe(90);
    const [{ stock }] = await stack.db.query(`SELECT stock FROM goods WHERE id = $1`, [g]);
    expect(stock).toBe(10 - 4); // seed, K, Q2, Q4
    expect((await stack.api.get(LedgerVerifier).verifyTown(f.townId)).broken).toEqual([]);
  });
});
