import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { LedgerService } from '@app/ledger/ledger.service';
import { RedemptionRepository } from '@app/shop/redemption.repository';
import { RedemptionStatementRepository, type OneStatementRedemption } from '@app/shop/redemption-statement.repository';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { spawnApi, stopSpawned, type Spawned } from '../support/processes';
import { COPY_RECEIPT_SQL, HeldLocks, lockWaiters } from '../support/locks';
import { waitFor } from '../support/wait-for';

/**
 * Group commit of redemptions (src/shop/redemption-batcher.ts, RedemptionStatementRepository.redeemBatch):
 * concurrent redemptions share one transaction and one commit, each in its own savepoint, so one
 * that fails fails alone, and a process killed mid-batch leaves nothing half-written that a
 * retry with the same idempotency key could sell twice.
 */
describe('redemptions in batches (group commit)', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let key: string;
  let terminalId: string;
  let repo: RedemptionRepository;
  let statement: RedemptionStatementRepository;
  let n = 0;
  const locks = new HeldLocks();
  const spawned: Spawned[] = [];

  const cardOf = async (id: string) => (await stack.db.query(`SELECT card_code FROM residents WHERE id = $1`, [id]))[0].card_code as string;
  const fund = (residentId: string, points: number) =>
    stack.api.get(LedgerService).postBatch([{ accountId: residentId, kind: 'opening_balance', points, sourceRef: `batch:${residentId}:${++n}`, counterparty: `town:${f.townId}`, period: '2026-01', memo: '测试' }]);
  async function goods(name: string, price: number, stock: number): Promise<string> {
    const g = await request(stack.http).post(`/api/v1/shops/${f.shopA}/goods`).set('authorization', t.shop_clerk).send({ name, unit: '件', pricePoints: price }).expect(201);
    await request(stack.http).post(`/api/v1/goods/${g.body.id}/stock`).set('authorization', t.shop_clerk).send({ kind: 'received', quantity: stock, reason: '进货' }).expect(200);
    return g.body.id;
  }
  const body = async (residentId: string, goodsId: string, idempotencyKey: string) => ({ cardCode: await cardOf(residentId), lines: [{ goodsId, quantity: 1 }], idempotencyKey });
  const stockOf = async (id: string) => (await stack.db.query(`SELECT stock FROM goods WHERE id = $1`, [id]))[0].stock as number;
  const written = async (residentId: string) =>
    (
      await stack.db.query(
        `SELECT (SELECT balance FROM accounts WHERE resident_id = $1) AS balance,
                (SELECT coalesce(sum(points), 0)::int FROM postings WHERE account_id = $1) AS sum,
                (SELECT count(*)::int FROM postings WHERE account_id = $1 AND kind = 'redemption') AS postings,
                (SELECT count(*)::int FROM redemptions WHERE resident_id = $1) AS receipts,
                (SELECT count(*)::int FROM notices WHERE resident_id = $1 AND kind = 'redemption') AS notices,
                (SELECT count(*)::int FROM audit_log WHERE action = 'redemption.create' AND summary->>'residentId' = $1::text) AS audits`,
        [residentId],
      )
    )[0] as { balance: number; sum: number; postings: number; receipts: number; notices: number; audits: number };
  /** When the transaction that wrote each receipt started (created_at = now()): receipts of one batch share it. */
  const startOf = async (keys: string[]) =>
    (await stack.db.query(`SELECT idempotency_key AS k, created_at::text AS x FROM redemptions WHERE idempotency_key = ANY($1) ORDER BY idempotency_key`, [keys])) as Array<{ k: string; x: string }>;
  beforeAll(async () => {
    stack = await startStack();
    f = await seedTown(stack.db, 32);
    t = await bearers(stack.http, f);
    const made = (await request(stack.http).post(`/api/v1/shops/${f.shopA}/terminals`).set('authorization', t.town_admin).send({ name: '收银台 1' }).expect(201)).body as { id: string; apiKey: string };
    key = made.apiKey;
    terminalId = made.id;
    repo = stack.api.get(RedemptionRepository);
    statement = stack.api.get(RedemptionStatementRepository);
  });
  afterEach(async () => {
    await locks.endAll();
  });
  afterAll(async () => {
    await Promise.all(spawned.map((p) => stopSpawned(p)));
    await stack?.close();
  });

  /**
   * Both forms of a batch: the server-side function (one round trip; what runs wherever the api
   * could create it) and the client-side savepoints (where it could not).
   */
  const useForm = (form: 'function' | 'savepoints') => {
    (statement as unknown as { batchFunction: boolean }).batchFunction = form === 'function';
  };
  for (const [form, base] of [['function', 0], ['savepoints', 17]] as const) {
    it(`${form}: a statement that fails in a batch fails alone: the others are written in the same transaction, it writes nothing`, async () => {
      useForm(form);
      const [a, b, c] = [f.residentsA[base], f.residentsA[base + 1], f.residentsA[base + 2]];
      for (const r of [a, b, c]) await fund(r, 100);
      const g = await goods(`酱油 ${form}`, 10, 10);
      const ledger = stack.api.get(LedgerService);
      const item = async (residentId: string, id: string = randomUUID()): Promise<OneStatementRedemption> => {
        const head = (await repo.findBasket(await cardOf(residentId), f.shopA, [g]))?.head;
        if (!head) throw new Error('no account head read');
        const next = ledger.prepareOne(head, { accountId: residentId, kind: 'redemption', points: -10, sourceRef: `redemption:${id}`, counterparty: `shop:${f.shopA}`, period: '2026-01', requireCovered: true });
        return {
          id, townId: f.townId, shopId: f.shopA, villageId: f.villageA, residentId, terminalId, clerkId: null,
          receiptNo: `B-${++n}`, idempotencyKey: `batch-${n}`, requestHash: 'h', lines: [{ goodsId: g, name: '酱油', unit: '件', quantity: 1, pricePoints: 10, points: 10 }],
          totalPoints: 10, balanceAfter: next.balance, postingId: '', expectedSeq: head.seq, read: head, posting: next.row, creditScore: next.creditScore, grade: next.grade, shopName: '超市', actor: 'test',
          audit: { townId: f.townId, actorType: 'system', actorId: null, actorRole: null, action: 'redemption.create', targetType: null, targetId: null, requestId: null, summary: { residentId } },
        };
      };
      const first = await item(a);
      // The second reuses the first's redemption id: a unique violation inside the batch.
      const [x, y, z] = await statement.redeemBatch([first, await item(b, first.id), await item(c)], 100);
      expect(x).toMatchObject({ head: true, stock: true });
      expect((y as { error: { code?: string; driverError?: { code?: string } } }).error).toBeTruthy();
      const err = (y as { error: { code?: string; driverError?: { code?: string } } }).error;
      expect(err.driverError?.code ?? err.code).toBe('23505');
      expect(z).toMatchObject({ head: true, stock: true });
      expect(await written(a)).toEqual({ balance: 90, sum: 90, postings: 1, receipts: 1, notices: 1, audits: 1 });
      expect(await written(b)).toEqual({ balance: 100, sum: 100, postings: 0, receipts: 0, notices: 0, audits: 0 });
      expect(await written(c)).toEqual({ balance: 90, sum: 90, postings: 1, receipts: 1, notices: 1, audits: 1 });
      expect(await stockOf(g)).toBe(8);
      // One transaction: its rows carry its start time (now()); each savepoint has an xid of its own.
      const xs = await stack.db.query(`SELECT DISTINCT created_at FROM redemptions WHERE resident_id = ANY($1)`, [[a, c]]);
      expect(xs).toHaveLength(1);
    });

    it(`${form}: a redemption waiting on a row lock leaves the batch after the lock timeout; the others commit without it`, async () => {
      useForm(form);
      const [a, b] = [f.residentsA[base + 3], f.residentsA[base + 4]];
      for (const r of [a, b]) await fund(r, 100);
      const g = await goods(`食盐 ${form}`, 10, 10);
      // A receipt to copy, then a twin of key "held" in flight in another transaction.
      await request(stack.http).post('/api/v1/terminal/redemptions').set('x-api-key', key).send(await body(a, g, `batch-lock-seed-${base}`)).expect(201);
      const twin = await locks.hold(stack.db, COPY_RECEIPT_SQL, [`batch-lock-seed-${base}`, `batch-lock-held-${base}`]);
      const ledger = stack.api.get(LedgerService);
      const item = async (residentId: string, idempotencyKey: string): Promise<OneStatementRedemption> => {
        const id = randomUUID();
        const head = (await repo.findBasket(await cardOf(residentId), f.shopA, [g]))?.head;
        if (!head) throw new Error('no account head read');
        const next = ledger.prepareOne(head, { accountId: residentId, kind: 'redemption', points: -10, sourceRef: `redemption:${id}`, counterparty: `shop:${f.shopA}`, period: '2026-01', requireCovered: true });
        return {
          id, townId: f.townId, shopId: f.shopA, villageId: f.villageA, residentId, terminalId, clerkId: null,
          receiptNo: `B-${++n}`, idempotencyKey, requestHash: 'h', lines: [{ goodsId: g, name: '食盐', unit: '件', quantity: 1, pricePoints: 10, points: 10 }],
          totalPoints: 10, balanceAfter: next.balance, postingId: '', expectedSeq: head.seq, read: head, posting: next.row, creditScore: next.creditScore, grade: next.grade, shopName: '超市', actor: 'test',
          audit: { townId: f.townId, actorType: 'system', actorId: null, actorRole: null, action: 'redemption.create', targetType: null, targetId: null, requestId: null, summary: { residentId } },
        };
      };
      const started = Date.now();
      const [waited, free] = await statement.redeemBatch([await item(b, `batch-lock-held-${base}`), await item(a, `batch-lock-free-${base}`)], 100);
      expect(Date.now() - started).toBeLessThan(5_000);
      const err = (waited as { error: { code?: string; driverError?: { code?: string } } }).error;
      expect(err.driverError?.code ?? err.code).toBe('55P03');
      expect(free).toMatchObject({ head: true, stock: true });
      await locks.end(twin, 'ROLLBACK');
      expect(await written(b)).toEqual({ balance: 100, sum: 100, postings: 0, receipts: 0, notices: 0, audits: 0 });
      expect((await written(a)).receipts).toBe(2);
    });

    it(`${form}: sales of one batch that share goods leave no MultiXact in the goods rows (the batch takes their stock itself, after them)`, async () => {
      useForm(form);
      const buyers = form === 'function' ? f.residentsA.slice(22, 25) : f.residentsA.slice(25, 28);
      for (const r of buyers) await fund(r, 100);
      const [g1, g2] = [await goods(`面条 ${form}`, 10, 10), await goods(`香皂 ${form}`, 5, 10)];
      const ledger = stack.api.get(LedgerService);
      const item = async (residentId: string): Promise<OneStatementRedemption> => {
        const id = randomUUID();
        const head = (await repo.findBasket(await cardOf(residentId), f.shopA, [g1, g2]))?.head;
        if (!head) throw new Error('no account head read');
        const next = ledger.prepareOne(head, { accountId: residentId, kind: 'redemption', points: -15, sourceRef: `redemption:${id}`, counterparty: `shop:${f.shopA}`, period: '2026-01', requireCovered: true });
        return {
          id, townId: f.townId, shopId: f.shopA, villageId: f.villageA, residentId, terminalId, clerkId: null,
          receiptNo: `B-${++n}`, idempotencyKey: `batch-multi-${n}`, requestHash: 'h',
          lines: [{ goodsId: g1, name: '面条', unit: '件', quantity: 1, pricePoints: 10, points: 10 }, { goodsId: g2, name: '香皂', unit: '件', quantity: 1, pricePoints: 5, points: 5 }],
          totalPoints: 15, balanceAfter: next.balance, postingId: '', expectedSeq: head.seq, read: head, posting: next.row, creditScore: next.creditScore, grade: next.grade, shopName: '超市', actor: 'test',
          audit: { townId: f.townId, actorType: 'system', actorId: null, actorRole: null, action: 'redemption.create', targetType: null, targetId: null, requestId: null, summary: { residentId } },
        };
      };
      const results = await statement.redeemBatch(await Promise.all(buyers.map((r) => item(r))), 100);
      expect(results).toEqual(buyers.map(() => expect.objectContaining({ head: true, stock: true })));
      expect([await stockOf(g1), await stockOf(g2)]).toEqual([7, 7]);
      for (const r of buyers) expect(await written(r)).toEqual({ balance: 85, sum: 85, postings: 1, receipts: 1, notices: 1, audits: 1 });
      // Every version of these two rows on disk: none has a MultiXact for its xmax
      // (HEAP_XMAX_IS_MULTI, 0x1000). A row the batch's transaction had locked and a
      // subtransaction (a sale) then updated would: one per line sold, before the batch took the
      // stock itself.
      await stack.db.query(`CREATE EXTENSION IF NOT EXISTS pageinspect`);
      const [{ versions, multi }] = await stack.db.query(
        `SELECT count(*)::int AS versions, count(*) FILTER (WHERE (h.t_infomask & 4096) <> 0)::int AS multi
           FROM generate_series(0, pg_relation_size('goods') / current_setting('block_size')::int - 1) AS p,
                LATERAL heap_page_items(get_raw_page('goods', p::int)) AS h
          WHERE h.t_data IS NOT NULL
            AND (tuple_data_split('goods'::regclass, h.t_data, h.t_infomask, h.t_infomask2, h.t_bits))[(SELECT attnum FROM pg_attribute WHERE attrelid = 'goods'::regclass AND attname = 'id')]
                = ANY (SELECT uuid_send(x) FROM unnest($1::uuid[]) AS x)`,
        [[g1, g2]],
      );
      expect(versions).toBeGreaterThanOrEqual(2);
      expect(multi).toBe(0);
    });
  }
  afterAll(() => useForm('function'));

  it('function: a batch whose every sale can go is one statement (each table written once for all); one that cannot goes sale by sale, with the same answers', async () => {
    useForm('function');
    const [a, b, c, d] = f.residentsA.slice(28, 32);
    for (const r of [a, b, c, d]) await fund(r, 100);
    const [g1, g2] = [await goods('米 at once', 10, 10), await goods('面 at once', 7, 10)];
    const ledger = stack.api.get(LedgerService);
    const item = async (residentId: string, lines: Array<[string, number, number]>, stale = false): Promise<OneStatementRedemption> => {
      const id = randomUUID();
      const head = (await repo.findBasket(await cardOf(residentId), f.shopA, lines.map(([g]) => g)))?.head;
      if (!head) throw new Error('no account head read');
      const total = lines.reduce((sum, [, q, price]) => sum + q * price, 0);
      const next = ledger.prepareOne(head, { accountId: residentId, kind: 'redemption', points: -total, sourceRef: `redemption:${id}`, counterparty: `shop:${f.shopA}`, period: '2026-01', requireCovered: true });
      return {
        id, townId: f.townId, shopId: f.shopA, villageId: f.villageA, residentId, terminalId, clerkId: null,
        receiptNo: `O-${++n}`, idempotencyKey: `once-${n}`, requestHash: 'h', lines: lines.map(([goodsId, quantity, pricePoints]) => ({ goodsId, name: '货', unit: '件', quantity, pricePoints, points: quantity * pricePoints })),
        totalPoints: total, balanceAfter: next.balance, postingId: '', expectedSeq: stale ? head.seq - 1 : head.seq, read: head, posting: next.row, creditScore: next.creditScore, grade: next.grade, shopName: '超市', actor: 'test',
        audit: { townId: f.townId, actorType: 'system', actorId: null, actorRole: null, action: 'redemption.create', targetType: null, targetId: null, requestId: null, summary: { residentId } },
      };
    };
    // The xids that wrote a batch's postings: one for the statement of all; one per sale's subtransaction.
    const writers = async (ids: string[]) =>
      (await stack.db.query(`SELECT count(DISTINCT p.xmin::text)::int AS n FROM postings p JOIN redemptions r ON r.posting_id = p.id WHERE r.id = ANY($1::uuid[])`, [ids]))[0].n as number;

    const all = [await item(a, [[g1, 2, 10], [g2, 1, 7]]), await item(b, [[g1, 3, 10]]), await item(c, [[g2, 4, 7]])];
    const out = await statement.redeemBatch(all, 100);
    expect(out.map((o) => ('error' in o ? 'error' : [o.head, o.stock, typeof o.postingId, o.createdAt instanceof Date]))).toEqual([
      [true, true, 'string', true],
      [true, true, 'string', true],
      [true, true, 'string', true],
    ]);
    expect(await writers(all.map((r) => r.id))).toBe(1);
    const receipts = (await stack.db.query(`SELECT id, posting_id AS "postingId" FROM redemptions WHERE id = ANY($1::uuid[])`, [all.map((r) => r.id)])) as Array<{ id: string; postingId: string }>;
    expect(out.map((o) => (o as { postingId: string }).postingId).sort()).toEqual(receipts.map((r) => r.postingId).sort());
    expect(await written(a)).toEqual({ balance: 73, sum: 73, postings: 1, receipts: 1, notices: 1, audits: 1 });
    expect(await written(b)).toEqual({ balance: 70, sum: 70, postings: 1, receipts: 1, notices: 1, audits: 1 });
    expect(await written(c)).toEqual({ balance: 72, sum: 72, postings: 1, receipts: 1, notices: 1, audits: 1 });
    expect([await stockOf(g1), await stockOf(g2)]).toEqual([5, 5]);
    const moves = await stack.db.query(`SELECT goods_id AS g, quantity AS q FROM stock_movements WHERE redemption_id = ANY($1::uuid[]) ORDER BY quantity`, [all.map((r) => r.id)]);
    expect(moves).toHaveLength(4);

    // A stale head (d) and more of g1 than is left once the sales before it took theirs (b again): sale by sale.
    const mixed = [await item(d, [[g1, 1, 10]]), await item(a, [[g2, 1, 7]], true), await item(b, [[g1, 5, 10]]), await item(c, [[g2, 1, 7]])];
    const again = await statement.redeemBatch(mixed, 100);
    expect(again.map((o) => ('error' in o ? 'error' : [o.head, o.stock]))).toEqual([
      [true, true],
      [false, false],
      [true, false],
      [true, true],
    ]);
    expect(await writers([mixed[0].id, mixed[3].id])).toBe(2);
    expect([await stockOf(g1), await stockOf(g2)]).toEqual([4, 4]);
    expect(await written(a)).toEqual({ balance: 73, sum: 73, postings: 1, receipts: 1, notices: 1, audits: 1 });
    expect(await written(b)).toEqual({ balance: 70, sum: 70, postings: 1, receipts: 1, notices: 1, audits: 1 });
    expect(await written(c)).toEqual({ balance: 65, sum: 65, postings: 2, receipts: 2, notices: 2, audits: 2 });
    expect(await written(d)).toEqual({ balance: 90, sum: 90, postings: 1, receipts: 1, notices: 1, audits: 1 });
    expect((await stack.api.get(LedgerVerifier).verifyTown(f.townId)).ok).toBe(true);
  });

  it('over HTTP: a batch with a same-key twin and a same-key different basket answers each on its own, one commit for the rest', async () => {
    const rs = f.residentsA.slice(5, 9);
    for (const r of rs) await fund(r, 100);
    const slow = await goods('毛巾', 10, 10);
    const slow2 = await goods('毛巾（大）', 10, 10);
    const g = await goods('肥皂', 10, 10);
    const other = await goods('牙膏', 10, 10);
    // Both slots of REDEEM_BATCH_IN_FLIGHT (2) wait on a goods row the test holds (one each: batches
    // in flight share no goods); what comes next queues.
    const lock = await locks.hold(stack.db, `SELECT 1 FROM goods WHERE id = ANY($1::uuid[]) FOR UPDATE`, [[slow, slow2]]);
    const post = async (b: object) => request(stack.http).post('/api/v1/terminal/redemptions').set('x-api-key', key).send(b);
    const blocked = [post(await body(rs[0], slow, 'http-slow-1')), post(await body(rs[1], slow2, 'http-slow-2'))];
    await waitFor(async () => (await lockWaiters(stack.db)) >= 2, { description: 'both redemptions of the held goods waiting' });
    const bodies = [await body(rs[2], g, 'http-key-1'), await body(rs[2], g, 'http-key-1'), await body(rs[3], g, 'http-key-2'), await body(rs[3], other, 'http-key-2')];
    // In this order into the queue, before the slots free up.
    const queued: Array<ReturnType<typeof post>> = [];
    for (const b of bodies) {
      queued.push(post(b));
      await new Promise((r) => setTimeout(r, 100));
    }
    await locks.end(lock, 'COMMIT');
    const [s1, s2] = await Promise.all(blocked);
    expect([s1.status, s2.status]).toEqual([201, 201]);
    const [k1, k1again, k2, k2other] = await Promise.all(queued);
    expect(k1.status).toBe(201);
    expect(k1again.status).toBe(200);
    expect(k1again.headers['idempotent-replayed']).toBe('true');
    expect(k1again.body.receiptNo).toBe(k1.body.receiptNo);
    expect(k2.status).toBe(201);
    expect(k2other.status).toBe(409);
    expect(k2other.body.code).toBe('REDEMPTION.IDEMPOTENCY_CONFLICT');
    // k1 and k2 went in one transaction (one commit).
    const xs = await startOf(['http-key-1', 'http-key-2']);
    expect(xs).toHaveLength(2);
    expect(xs[0].x).toBe(xs[1].x);
    expect(await written(rs[2])).toEqual({ balance: 90, sum: 90, postings: 1, receipts: 1, notices: 1, audits: 1 });
    expect(await written(rs[3])).toEqual({ balance: 90, sum: 90, postings: 1, receipts: 1, notices: 1, audits: 1 });
    expect([await stockOf(g), await stockOf(other), await stockOf(slow), await stockOf(slow2)]).toEqual([8, 10, 9, 9]);
    expect((await stack.api.get(LedgerVerifier).verifyTown(f.townId)).broken).toEqual([]);
  });

  it('a batch that fails as a whole (say, no pooled connection in time) runs each of its redemptions on its own', async () => {
    const rs = f.residentsA.slice(9, 12);
    for (const r of rs) await fund(r, 100);
    const slow = await goods('香皂', 10, 10);
    const slow2 = await goods('香皂（大）', 10, 10);
    const g = await goods('面条', 10, 10);
    const failed = vi.spyOn(statement, 'redeemBatch').mockRejectedValueOnce(new Error('timeout exceeded when trying to connect'));
    const lock = await locks.hold(stack.db, `SELECT 1 FROM goods WHERE id = ANY($1::uuid[]) FOR UPDATE`, [[slow, slow2]]);
    const post = async (b: object) => request(stack.http).post('/api/v1/terminal/redemptions').set('x-api-key', key).send(b);
    const other = f.residentsA[12];
    await fund(other, 100);
    const blocked = [post(await body(other, slow, 'whole-slow-1')), post(await body(other, slow2, 'whole-slow-2'))];
    await waitFor(async () => (await lockWaiters(stack.db)) >= 2, { description: 'both slots waiting' });
    const queued: Array<ReturnType<typeof post>> = [];
    for (const [i, r] of rs.entries()) {
      queued.push(post(await body(r, g, `whole-key-${i}`)));
      await new Promise((res) => setTimeout(res, 100));
    }
    await locks.end(lock, 'COMMIT');
    await Promise.all(blocked);
    expect((await Promise.all(queued)).map((x) => x.status)).toEqual([201, 201, 201]);
    expect(failed).toHaveBeenCalledTimes(1);
    expect(failed.mock.calls[0][0]).toHaveLength(3);
    for (const r of rs) expect((await written(r)).receipts).toBe(1);
    expect(await stockOf(g)).toBe(7);
    failed.mockRestore();
  });

  it('an api process killed mid-batch: the batch, in PostgreSQL’s hands, commits whole; retried with the same keys, each basket sells once, the first receipt again', async () => {
    const api = await spawnApi({ DATABASE_URL: stack.env.DATABASE_URL, QUEUE_PREFIX: stack.env.QUEUE_PREFIX, LOG_LEVEL: 'warn', REDEEM_BATCH_IN_FLIGHT: '1', REDEEM_BATCH_LOCK_TIMEOUT_MS: '30000' });
    spawned.push(api);
    const rs = f.residentsA.slice(13, 16);
    for (const r of rs) await fund(r, 100);
    const slow = await goods('火柴', 10, 10);
    const g = await goods('大米', 10, 10);
    const other = f.residentsA[16];
    await fund(other, 100);
    await request(stack.http).post('/api/v1/terminal/redemptions').set('x-api-key', key).send(await body(other, slow, 'kill-key-seed')).expect(201);
    const before = await Promise.all(rs.map((r) => written(r)));
    const post = async (b: object) =>
      fetch(`${api.url}/api/v1/terminal/redemptions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(b) }).then(
        (res) => res.status,
        () => 'lost' as const,
      );
    // The one slot waits on a goods row the test holds; the three baskets queue behind it.
    const lock = await locks.hold(stack.db, `SELECT 1 FROM goods WHERE id = $1 FOR UPDATE`, [slow]);
    const first = post(await body(other, slow, 'kill-key-slow'));
    await waitFor(async () => (await lockWaiters(stack.db)) >= 1, { description: 'the first redemption waiting' });
    // The third basket's key is in flight in another transaction: the batch will wait there,
    // after writing the first two.
    const twin = await locks.hold(stack.db, COPY_RECEIPT_SQL, ['kill-key-seed', 'kill-key-3']);
    const bodies = [await body(rs[0], g, 'kill-key-1'), await body(rs[1], g, 'kill-key-2'), await body(rs[2], g, 'kill-key-3')];
    const answers: Array<Promise<number | 'lost'>> = [];
    for (const b of bodies) {
      answers.push(post(b));
      await new Promise((r) => setTimeout(r, 150));
    }
    await locks.end(lock, 'COMMIT');
    expect(await first).toBe(201);
    // The batch [kill-1, kill-2, kill-3] has written two and waits on the twin's key.
    await waitFor(async () => (await lockWaiters(stack.db)) >= 1, { description: 'the batch waiting on the third key' });
    // Waiting in the batch function, with writes of its transaction already made (an xid).
    const inBatch = await stack.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL AND query LIKE 'SELECT xinyi_redeem_batch_%' AND pid <> pg_backend_pid()`,
    );
    expect(inBatch[0].n).toBe(1);
    api.child.kill('SIGKILL');
    await api.exited;
    expect(await Promise.all(answers)).toEqual(['lost', 'lost', 'lost']);
    // Half of it is written and nobody will answer the tills: a partial batch must never be seen.
    expect(await startOf(['kill-key-1', 'kill-key-2', 'kill-key-3'])).toEqual([]);
    await locks.end(twin, 'ROLLBACK');
    // The batch is one statement: with the twin gone it finishes and commits whole, api or not
    // (the savepoint form would have waited for a COMMIT that never came, and rolled back).
    await waitFor(async () => (await startOf(['kill-key-1', 'kill-key-2', 'kill-key-3'])).length === 3, { description: 'the batch committed' });
    const xs = await startOf(['kill-key-1', 'kill-key-2', 'kill-key-3']);
    expect(new Set(xs.map((x) => x.x)).size).toBe(1); // one transaction
    expect(await stockOf(g)).toBe(7);
    // The tills retry with the same keys (here through the in-process api): the first receipt, once.
    const receipts = new Map((await stack.db.query(`SELECT idempotency_key AS k, receipt_no AS r FROM redemptions WHERE idempotency_key = ANY($1)`, [['kill-key-1', 'kill-key-2', 'kill-key-3']])).map((x: { k: string; r: string }) => [x.k, x.r]));
    for (const b of bodies) {
      const res = await request(stack.http).post('/api/v1/terminal/redemptions').set('x-api-key', key).send(b).expect(200);
      expect(res.headers['idempotent-replayed']).toBe('true');
      expect(res.body.receiptNo).toBe(receipts.get((b as { idempotencyKey: string }).idempotencyKey));
    }
    expect(await stockOf(g)).toBe(7);
    const after = await Promise.all(rs.map((r) => written(r)));
    after.forEach((w, i) => expect(w).toEqual({ ...before[i], balance: before[i].balance - 10, sum: before[i].sum - 10, postings: before[i].postings + 1, receipts: before[i].receipts + 1, notices: before[i].notices + 1, audits: before[i].audits + 1 }));
    expect((await stack.api.get(LedgerVerifier).verifyTown(f.townId)).broken).toEqual([]);
  });
});
