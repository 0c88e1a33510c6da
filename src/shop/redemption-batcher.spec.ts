import { describe, expect, it } from 'vitest';
import type { AppConfig } from '@app/config/app-config';
import { RedemptionBatcher } from './redemption-batcher';
import type { OneStatementRedemption, OneStatementResult, RedemptionStatementRepository } from './redemption-statement.repository';

/** A repository whose statements and batches finish only when the test says so. */
function fakeRepo() {
  const calls: Array<{ kind: 'one' | 'batch'; ids: string[]; finish: (fail?: unknown) => void }> = [];
  const ok = (r: OneStatementRedemption): OneStatementResult => ({ head: true, stock: true, postingId: r.id, createdAt: null });
  const repo = {
    redeemInOneStatement: (r: OneStatementRedemption) =>
      new Promise<OneStatementResult>((resolve, reject) => calls.push({ kind: 'one', ids: [r.id], finish: (fail) => (fail ? reject(fail) : resolve(ok(r))) })),
    redeemBatch: (rs: OneStatementRedemption[]) =>
      new Promise<Array<OneStatementResult | { error: unknown }>>((resolve, reject) =>
        calls.push({ kind: 'batch', ids: rs.map((r) => r.id), finish: (fail) => (fail ? reject(fail) : resolve(rs.map((r) => (r.id === 'bad' ? { error: new Error('bad') } : ok(r))))) }),
      ),
  };
  return { repo: repo as unknown as RedemptionStatementRepository, calls };
}
const config = (v: Record<string, number>) => ({ get: (k: string) => v[k] }) as unknown as AppConfig;
/** A redemption of one line; each of its own good unless told. */
const item = (id: string, goods = [`goods-${id}`]) => ({ id, lines: goods.map((goodsId) => ({ goodsId, quantity: 1 })) }) as unknown as OneStatementRedemption;
const tick = () => new Promise((r) => setImmediate(r));

describe('RedemptionBatcher', () => {
  it('goes alone while a slot is free; what arrives while all are busy goes in one batch, at most REDEEM_BATCH_MAX', async () => {
    const { repo, calls } = fakeRepo();
    const b = new RedemptionBatcher(repo, config({ REDEEM_BATCH_IN_FLIGHT: 2, REDEEM_BATCH_MAX: 3, REDEEM_BATCH_LOCK_TIMEOUT_MS: 100 }));
    const answers = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => b.redeem(item(id)));
    await tick();
    expect(calls.map((c) => [c.kind, c.ids])).toEqual([
      ['one', ['a']],
      ['one', ['b']],
    ]);
    calls[0].finish();
    await tick();
    expect(calls[2]).toMatchObject({ kind: 'batch', ids: ['c', 'd', 'e'] });
    calls[1].finish();
    await tick();
    // Alone again, since it is the only one left: the plain statement.
    expect(calls[3]).toMatchObject({ kind: 'one', ids: ['f'] });
    calls[2].finish();
    calls[3].finish();
    expect((await Promise.all(answers)).map((a) => a.postingId)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('answers each with its own result or error; a batch that fails as a whole goes once more one by one', async () => {
    const { repo, calls } = fakeRepo();
    const b = new RedemptionBatcher(repo, config({ REDEEM_BATCH_IN_FLIGHT: 1, REDEEM_BATCH_MAX: 10, REDEEM_BATCH_LOCK_TIMEOUT_MS: 100 }));
    const first = b.redeem(item('first'));
    const inBatch = ['x', 'bad', 'y'].map((id) => b.redeem(item(id)).then((r) => r.postingId, (e: Error) => e.message));
    await tick();
    calls[0].finish();
    await first;
    await tick();
    expect(calls[1]).toMatchObject({ kind: 'batch', ids: ['x', 'bad', 'y'] });
    calls[1].finish();
    expect(await Promise.all(inBatch)).toEqual(['x', 'bad', 'y']);

    const p = b.redeem(item('p'));
    const again = ['q', 'r'].map((id) => b.redeem(item(id)).then((x) => x.postingId));
    await tick();
    calls[2].finish();
    await p;
    await tick();
    expect(calls[3]).toMatchObject({ kind: 'batch', ids: ['q', 'r'] });
    calls[3].finish(new Error('timeout exceeded when trying to connect'));
    await tick();
    expect(calls.slice(4).map((c) => [c.kind, c.ids])).toEqual([
      ['one', ['q']],
      ['one', ['r']],
    ]);
    calls[4].finish();
    calls[5].finish();
    expect(await Promise.all(again)).toEqual(['q', 'r']);
  });

  it('redeemAlone goes at once in its own statement, past busy slots and a queue, and takes no slot', async () => {
    const { repo, calls } = fakeRepo();
    const b = new RedemptionBatcher(repo, config({ REDEEM_BATCH_IN_FLIGHT: 1, REDEEM_BATCH_MAX: 10, REDEEM_BATCH_LOCK_TIMEOUT_MS: 100 }));
    const busy = b.redeem(item('busy'));
    const queued = ['q1', 'q2'].map((id) => b.redeem(item(id)));
    const alone = b.redeemAlone(item('retry'));
    await tick();
    expect(calls.map((c) => [c.kind, c.ids])).toEqual([
      ['one', ['busy']],
      ['one', ['retry']],
    ]);
    calls[1].finish();
    expect((await alone).postingId).toBe('retry');
    // Its end frees no slot: the queue still waits for the busy one.
    await tick();
    expect(calls).toHaveLength(2);
    calls[0].finish();
    await busy;
    await tick();
    expect(calls[2]).toMatchObject({ kind: 'batch', ids: ['q1', 'q2'] });
    calls[2].finish();
    expect((await Promise.all(queued)).map((r) => r.postingId)).toEqual(['q1', 'q2']);
  });

  it('batches in flight share no goods: a sale of goods a batch holds waits for the next one, others go beside it', async () => {
    const { repo, calls } = fakeRepo();
    const b = new RedemptionBatcher(repo, config({ REDEEM_BATCH_IN_FLIGHT: 2, REDEEM_BATCH_MAX: 10, REDEEM_BATCH_LOCK_TIMEOUT_MS: 100 }));
    const oil = item('oil-1', ['oil']);
    const answers = [oil, item('oil-2', ['oil']), item('salt-1', ['salt']), item('both', ['salt', 'oil']), item('oil-3', ['oil'])].map((r) => b.redeem(r));
    await tick();
    // oil-1 takes the oil row; salt-1 is the first that shares nothing with it.
    expect(calls.map((c) => [c.kind, c.ids])).toEqual([
      ['one', ['oil-1']],
      ['one', ['salt-1']],
    ]);
    calls[0].finish();
    await tick();
    // salt is still held: only the oil sales go; 'both' needs salt too and waits.
    expect(calls[2]).toMatchObject({ kind: 'batch', ids: ['oil-2', 'oil-3'] });
    expect(calls).toHaveLength(3);
    calls[1].finish();
    await tick();
    expect(calls).toHaveLength(3);
    calls[2].finish();
    await tick();
    expect(calls[3]).toMatchObject({ kind: 'one', ids: ['both'] });
    calls[3].finish();
    expect((await Promise.all(answers)).map((a) => a.postingId)).toEqual(['oil-1', 'oil-2', 'salt-1', 'both', 'oil-3']);
  });

  it('REDEEM_BATCH_IN_FLIGHT=0: every redemption is its own statement, at once', async () => {
    const { repo, calls } = fakeRepo();
    const b = new RedemptionBatcher(repo, config({ REDEEM_BATCH_IN_FLIGHT: 0, REDEEM_BATCH_MAX: 10, REDEEM_BATCH_LOCK_TIMEOUT_MS: 100 }));
    const all = ['a', 'b', 'c'].map((id) => b.redeem(item(id)));
    await tick();
    expect(calls.map((c) => c.kind)).toEqual(['one', 'one', 'one']);
    calls.forEach((c) => c.finish());
    await Promise.all(all);
  });
});
