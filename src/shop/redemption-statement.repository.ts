import { createHash } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AuditLogInsert } from '@app/audit/audit.service';
import { prepared, queryOne, queryRows } from '@app/database/sql';
import type { PostingRow } from '@app/ledger/ledger.types';
import { redemptionNoticeInsert } from '@app/notices/notice-sql';
import type { NewRedemption } from './redemption.repository';

/*
 * The redemption as one self-committing statement, and its group-commit form (a batch of them in
 * one transaction, a savepoint each). The reads before it, the locking path of before, receipts,
 * voids and goods are in ./redemption.repository.ts.
 */

/**
 * The parameters of REDEEM_IN_ONE_STATEMENT, by name and type. `{name}` in its text becomes
 * `$n::type`, so every use of a value carries the same type and the text stays readable.
 */
const ONE_STATEMENT_PARAMS = {
  accountId: 'uuid', expectedSeq: 'int', readBalance: 'int', readCreditScore: 'int', readGrade: 'text', readRatingYear: 'int', seq: 'int', balance: 'int', creditScore: 'int', grade: 'text', headHash: 'text',
  postingTownId: 'uuid', postingVillageId: 'uuid', kind: 'text', points: 'int', sourceRef: 'text', counterparty: 'text', period: 'text', itemCode: 'text', memo: 'text',
  postedAt: 'timestamptz', prevHash: 'text',
  goodsIds: 'uuid[]', quantities: 'int[]', prices: 'int[]', shopId: 'uuid', townId: 'uuid', villageId: 'uuid', actor: 'text',
  id: 'uuid', receiptNo: 'text', terminalId: 'uuid', clerkId: 'uuid', idempotencyKey: 'text', requestHash: 'text', lines: 'jsonb', totalPoints: 'int', shopName: 'text',
  auditTownId: 'uuid', auditActorType: 'text', auditActorId: 'text', auditActorRole: 'text', auditAction: 'text', auditTargetType: 'text', auditTargetId: 'text', auditRequestId: 'text', auditSummary: 'jsonb',
} as const;
type OneStatementParam = keyof typeof ONE_STATEMENT_PARAMS;
const ONE_STATEMENT_ORDER = Object.keys(ONE_STATEMENT_PARAMS) as OneStatementParam[];
const named = (text: string) =>
  text.replace(/\{(\w+)\}/g, (_, n: string) => {
    const i = ONE_STATEMENT_ORDER.indexOf(n as OneStatementParam);
    if (i < 0) throw new Error(`unknown parameter {${n}}`);
    return `$${i + 1}::${ONE_STATEMENT_PARAMS[n as OneStatementParam]}`;
  });

/**
 * A whole redemption in ONE statement, committed on its own (no BEGIN/COMMIT round trips): the
 * account row is locked only if its head is still the one the posting was computed from (`a`:
 * the same seq, and the same balance, credit score, grade and rating year, which a year end or a
 * regrade changes without a posting),
 * then the basket's goods rows, in id order, only if each still has its price, is on sale and
 * in stock (`c`; FOR UPDATE re-checks these on the newest row version). Only if both hold
 * (`go`) are the account head, the posting, the stock, the stock movements, the receipt, the
 * resident's notice and the audit row written; otherwise nothing is, and `head` / `stock` say
 * why. So the hot goods row is locked inside PostgreSQL for microseconds plus the commit, never
 * across a round trip to the api.
 */
const REDEEM_IN_ONE_STATEMENT = prepared(
  named(`WITH t AS (SELECT * FROM unnest({goodsIds}, {quantities}, {prices}) AS t(goods_id, q, price)),
   a AS (
     SELECT resident_id FROM accounts
      WHERE resident_id = {accountId} AND seq = {expectedSeq} AND balance = {readBalance} AND credit_score = {readCreditScore} AND grade = {readGrade} AND rating_year = {readRatingYear}
      FOR UPDATE),
   c AS (
     SELECT g.id FROM goods g JOIN t ON t.goods_id = g.id
      WHERE EXISTS (SELECT 1 FROM a) AND g.shop_id = {shopId} AND g.active AND g.price_points = t.price AND g.stock >= t.q
      ORDER BY g.id FOR UPDATE OF g),
   ok AS (SELECT EXISTS (SELECT 1 FROM a) AS head, (SELECT count(*) FROM c) = cardinality({goodsIds}) AS stock),
   go AS (SELECT head AND stock AS go FROM ok),
   acc AS (
     UPDATE accounts SET balance = {balance}, credit_score = {creditScore}, grade = {grade}, seq = {seq}, head_hash = {headHash}, updated_at = now()
      WHERE resident_id = {accountId} AND (SELECT go FROM go)
     RETURNING 1),
   p AS (
     INSERT INTO postings (town_id, village_id, account_id, seq, kind, points, source_ref, counterparty, period, item_code, memo, posted_at, prev_hash, hash)
     SELECT {postingTownId}, {postingVillageId}, {accountId}, {seq}, {kind}, {points}, {sourceRef}, {counterparty}, {period}, {itemCode}, {memo}, {postedAt}, {prevHash}, {headHash}
      WHERE (SELECT go FROM go)
     RETURNING id),
   g AS (
     UPDATE goods SET stock = goods.stock - t.q FROM t WHERE goods.id = t.goods_id AND (SELECT go FROM go)
     RETURNING goods.id),
   mv AS (
     INSERT INTO stock_movements (town_id, shop_id, goods_id, kind, quantity, reason, actor, redemption_id)
     SELECT {townId}, {shopId}, t.goods_id, 'redeemed', -t.q, {receiptNo}, {actor}, {id} FROM t WHERE (SELECT go FROM go)),
   rd AS (
     INSERT INTO redemptions (id, town_id, shop_id, village_id, resident_id, terminal_id, clerk_id, receipt_no, idempotency_key, request_hash, lines, total_points, balance_after, posting_id)
     SELECT {id}, {townId}, {shopId}, {villageId}, {accountId}, {terminalId}, {clerkId}, {receiptNo}, {idempotencyKey}, {requestHash}, {lines}, {totalPoints}, {balance}, p.id FROM p
     RETURNING created_at),
   nt AS (${redemptionNoticeInsert({ residentId: '{accountId}', redemptionId: '{id}', shopName: '{shopName}', points: '{totalPoints}', balance: '{balance}', receiptNo: '{receiptNo}' }, '(SELECT go FROM go)')}),
   au AS (
     INSERT INTO audit_log (town_id, actor_type, actor_id, actor_role, action, target_type, target_id, request_id, summary)
     SELECT {auditTownId}, {auditActorType}, {auditActorId}, {auditActorRole}, {auditAction}, {auditTargetType}, {auditTargetId}, {auditRequestId}, {auditSummary} WHERE (SELECT go FROM go))
   SELECT (SELECT head FROM ok) AS head, (SELECT stock FROM ok) AS stock, (SELECT id::text FROM p) AS "postingId", (SELECT created_at FROM rd) AS "createdAt"`),
);

/**
 * The batch form of REDEEM_IN_ONE_STATEMENT: the same statement, but an account row another
 * transaction holds is skipped (`head` false) instead of waited for; see redeemBatch.
 */
const REDEEM_IN_BATCH = prepared(REDEEM_IN_ONE_STATEMENT.text.replace(/\bFOR UPDATE\),\s+c AS/, 'FOR UPDATE SKIP LOCKED),\n   c AS'));
if (REDEEM_IN_BATCH.text === REDEEM_IN_ONE_STATEMENT.text) throw new Error('REDEEM_IN_BATCH: the account lock was not found');

/**
 * REDEEM_IN_BATCH as a batch runs it: each redemption checks its stock against what the batch
 * has taken so far (the extra last parameter, a JSON object goods id → quantity) and leaves the
 * goods rows alone; the batch takes its stock in one UPDATE of its own before it commits
 * (TAKE_BATCH_STOCK). The batch's transaction holds those rows locked (LOCK_GOODS_IN_ORDER), and a
 * subtransaction (each redemption's) that updated a row its transaction had locked, or that an
 * earlier one had locked and updated, got a MultiXact for the row version's xmax: one per goods
 * line sold. The MultiXact SLRU growing from them slowed every later sale (docs/PERFORMANCE.md "MultiXacts in
 * the batch"); an UPDATE by the transaction that holds the lock makes none.
 */
const BATCH_TAKEN = `$${ONE_STATEMENT_ORDER.length + 1}::jsonb`;
const REDEEM_IN_BATCH_TAKING = prepared(
  ((text: string) => {
    const check = 'g.stock >= t.q';
    const update = /\n\s*g AS \(\n\s*UPDATE goods SET stock = goods\.stock - t\.q FROM t WHERE goods\.id = t\.goods_id AND \(SELECT go FROM go\)\n\s*RETURNING goods\.id\),/;
    if (!text.includes(check) || !update.test(text)) throw new Error('REDEEM_IN_BATCH_TAKING: the stock check or the stock update was not found');
    return text.replace(check, `g.stock - coalesce((${BATCH_TAKEN} ->> g.id::text)::int, 0) >= t.q`).replace(update, '');
  })(REDEEM_IN_BATCH.text),
);
/** The batch's stock, taken at once by the transaction that holds the goods rows locked. */
const TAKE_BATCH_STOCK = prepared(`UPDATE goods SET stock = goods.stock - x.q FROM (SELECT key::uuid AS id, value::int AS q FROM jsonb_each_text($1::jsonb)) AS x WHERE goods.id = x.id`);

/** Adds a redemption's quantities to a batch's running take (REDEEM_IN_BATCH_TAKING's last parameter). */
function addTaken(taken: Record<string, number>, r: OneStatementRedemption): void {
  for (const l of r.lines) taken[l.goodsId] = (taken[l.goodsId] ?? 0) + l.quantity;
}

/** Value `k` of a redemption's JSON array of values (oneStatementValues) at `source`, as SQL of `type`. */
function valueAt(source: string, k: number, type: string): string {
  return type.endsWith('[]')
    ? `ARRAY(SELECT x::${type.slice(0, -2)} FROM jsonb_array_elements_text(${source}->${k}) WITH ORDINALITY AS e(x, n) ORDER BY n)`
    : `(${source}->>${k})::${type}`;
}

/**
 * The whole batch as ONE set-based statement (inside the batch function, `_items` its sales):
 * the same checks and rows as REDEEM_IN_BATCH_TAKING for every sale, but each table written once
 * for all of them. Per sale, a statement's executor start-up (its dozen CTEs) and the postings
 * trigger were ≈ 40 % of the batch function's PostgreSQL time in a perf profile (docs/PERFORMANCE.md "The batch
 * as one statement"). All or nothing: `go` is true only if every sale's account head is still the
 * one read (and not held by another transaction), no two sales share an account, and every line
 * has its price, shelf and stock (sales in order, each goods' quantities summed); otherwise, or on
 * any error (a twin's idempotency key: a unique violation, or the lock timeout while it is in
 * flight, waited once here and once more sale by sale), nothing is kept and the batch
 * goes sale by sale as before, each with its own answer. The goods rows are the batch's, locked
 * before (LOCK_GOODS_IN_ORDER), so the stock read here is the stock.
 */
const SALE_COLUMNS = ONE_STATEMENT_ORDER.map((name, k) => `${valueAt('i.v', k, ONE_STATEMENT_PARAMS[name])} AS "${name}"`).join(',\n          ');
const sale = (text: string) => text.replace(/\{(\w+)\}/g, (_, n: string) => {
  if (!(n in ONE_STATEMENT_PARAMS)) throw new Error(`unknown parameter {${n}}`);
  return `s."${n}"`;
});
const REDEEM_BATCH_AT_ONCE = sale(`WITH s AS (
   SELECT i.o, ${SALE_COLUMNS}
     FROM jsonb_array_elements(_items) WITH ORDINALITY AS i(v, o)),
   l AS (
     SELECT s.o, x.goods_id, x.q, x.price, {shopId} AS shop_id, {townId} AS town_id, {receiptNo} AS receipt_no, {actor} AS actor, {id} AS redemption_id,
            sum(x.q) OVER (PARTITION BY x.goods_id ORDER BY s.o ROWS UNBOUNDED PRECEDING) AS upto
       FROM s, unnest({goodsIds}, {quantities}, {prices}) AS x(goods_id, q, price)),
   a AS (
     SELECT acc.resident_id FROM accounts acc JOIN s ON acc.resident_id = {accountId}
      WHERE acc.seq = {expectedSeq} AND acc.balance = {readBalance} AND acc.credit_score = {readCreditScore} AND acc.grade = {readGrade} AND acc.rating_year = {readRatingYear}
      FOR UPDATE OF acc SKIP LOCKED),
   c AS (
     SELECT l.o FROM l JOIN goods g ON g.id = l.goods_id
      WHERE g.shop_id = l.shop_id AND g.active AND g.price_points = l.price AND g.stock >= l.upto),
   go AS (SELECT (SELECT count(DISTINCT resident_id) FROM a) = (SELECT count(*) FROM s) AND (SELECT count(*) FROM c) = (SELECT count(*) FROM l) AS go),
   acc AS (
     UPDATE accounts SET balance = {balance}, credit_score = {creditScore}, grade = {grade}, seq = {seq}, head_hash = {headHash}, updated_at = now()
       FROM s WHERE accounts.resident_id = {accountId} AND (SELECT go FROM go)
     RETURNING 1),
   p AS (
     INSERT INTO postings (town_id, village_id, account_id, seq, kind, points, source_ref, counterparty, period, item_code, memo, posted_at, prev_hash, hash)
     SELECT {postingTownId}, {postingVillageId}, {accountId}, {seq}, {kind}, {points}, {sourceRef}, {counterparty}, {period}, {itemCode}, {memo}, {postedAt}, {prevHash}, {headHash}
       FROM s WHERE (SELECT go FROM go) ORDER BY s.o
     RETURNING id, source_ref),
   mv AS (
     INSERT INTO stock_movements (town_id, shop_id, goods_id, kind, quantity, reason, actor, redemption_id)
     SELECT l.town_id, l.shop_id, l.goods_id, 'redeemed', -l.q, l.receipt_no, l.actor, l.redemption_id FROM l WHERE (SELECT go FROM go) ORDER BY l.o, l.goods_id),
   rd AS (
     INSERT INTO redemptions (id, town_id, shop_id, village_id, resident_id, terminal_id, clerk_id, receipt_no, idempotency_key, request_hash, lines, total_points, balance_after, posting_id)
     SELECT {id}, {townId}, {shopId}, {villageId}, {accountId}, {terminalId}, {clerkId}, {receiptNo}, {idempotencyKey}, {requestHash}, {lines}, {totalPoints}, {balance}, p.id
       FROM s JOIN p ON p.source_ref = {sourceRef} ORDER BY s.o
     RETURNING id, posting_id, created_at),
   nt AS (${redemptionNoticeInsert({ residentId: '{accountId}', redemptionId: '{id}', shopName: '{shopName}', points: '{totalPoints}', balance: '{balance}', receiptNo: '{receiptNo}' }, '(SELECT go FROM go)', 's')}),
   au AS (
     INSERT INTO audit_log (town_id, actor_type, actor_id, actor_role, action, target_type, target_id, request_id, summary)
     SELECT {auditTownId}, {auditActorType}, {auditActorId}, {auditActorRole}, {auditAction}, {auditTargetType}, {auditTargetId}, {auditRequestId}, {auditSummary} FROM s WHERE (SELECT go FROM go) ORDER BY s.o)
   SELECT (SELECT go FROM go) AS go,
          (SELECT jsonb_agg(jsonb_build_object('head', true, 'stock', true, 'postingId', rd.posting_id::text, 'createdAt', rd.created_at) ORDER BY s.o) FROM s JOIN rd ON rd.id = {id}) AS out,
          (SELECT coalesce(jsonb_object_agg(t.goods_id, t.q), '{}'::jsonb) FROM (SELECT l.goods_id, sum(l.q)::int AS q FROM l GROUP BY l.goods_id) AS t) AS taken`);

/** A batch's goods rows, in id order (the one lock order of every goods writer). */
const LOCK_GOODS_IN_ORDER = prepared(`SELECT id FROM goods WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`);

/**
 * The whole batch as ONE server-side call: REDEEM_IN_BATCH run for each redemption inside a
 * PL/pgSQL loop, each in a BEGIN … EXCEPTION block (a subtransaction, as the savepoints of the
 * client-side form), after the goods rows are locked in id order and the lock timeout set for the
 * transaction. One round trip instead of two per redemption plus four: the batch no longer waits
 * on the api's event loop between its statements, holding its goods rows meanwhile.
 *
 * The function is generated from REDEEM_IN_BATCH's own text (each `$n::type` becomes element
 * n-1 of the redemption's JSON array of values), and its name carries a hash of its whole
 * definition: a changed statement or loop is a new function, so processes of two versions side by
 * side each call their own (RedemptionStatementRepository.onModuleInit creates it if it is not there).
 */
export function batchFunctionSql(): { name: string; ddl: string } {
  const body = REDEEM_IN_BATCH_TAKING.text.replace(/\$(\d+)::([a-z]+(?:\[\])?)/g, (_, n: string, type: string) =>
    Number(n) === ONE_STATEMENT_ORDER.length + 1 ? '_taken' : valueAt('_it', Number(n) - 1, type),
  );
  const goodsAt = ONE_STATEMENT_ORDER.indexOf('goodsIds');
  const quantitiesAt = ONE_STATEMENT_ORDER.indexOf('quantities');
  if (/\$\d/.test(body)) throw new Error('batchFunctionSql: a parameter was left in the statement');
  const ddl = (name: string) => `CREATE OR REPLACE FUNCTION ${name}(_items jsonb, _goods uuid[], _lock_timeout_ms int) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  _it jsonb;
  _taken jsonb := '{}'::jsonb;
  _r record;
  _all record;
  _at_once boolean := false;
  _out jsonb := '[]'::jsonb;
  _code text;
  _message text;
BEGIN
  ${LOCK_GOODS_IN_ORDER.text.replace(/^SELECT /, 'PERFORM ').replace('$1::uuid[]', '_goods')};
  PERFORM set_config('lock_timeout', _lock_timeout_ms::text, true);
  -- Every sale at once; if one of them cannot go (or anything fails), nothing of it is kept.
  BEGIN
    ${REDEEM_BATCH_AT_ONCE}
    INTO _all;
    IF NOT _all.go THEN
      RAISE EXCEPTION USING ERRCODE = 'XB001', MESSAGE = 'xinyi: the batch goes sale by sale';
    END IF;
    _at_once := true;
  EXCEPTION WHEN OTHERS THEN
    _at_once := false;
  END;
  -- The stock at the batch's own level, not in the block's subtransaction: no MultiXact on the goods rows.
  IF _at_once THEN
    ${TAKE_BATCH_STOCK.text.replace('$1::jsonb', '_all.taken')};
    RETURN _all.out;
  END IF;
  FOR _it IN SELECT value FROM jsonb_array_elements(_items) WITH ORDINALITY AS i(value, o) ORDER BY o LOOP
    BEGIN
      ${body}
      INTO _r;
      IF _r.head AND _r.stock THEN
        SELECT _taken || coalesce(jsonb_object_agg(g.id, coalesce((_taken ->> g.id)::int, 0) + q.n::int), '{}'::jsonb) INTO _taken
          FROM jsonb_array_elements_text(_it->${goodsAt}) WITH ORDINALITY AS g(id, o)
          JOIN jsonb_array_elements_text(_it->${quantitiesAt}) WITH ORDINALITY AS q(n, o) ON q.o = g.o;
      END IF;
      _out := _out || jsonb_build_array(jsonb_build_object('head', _r.head, 'stock', _r.stock, 'postingId', _r."postingId", 'createdAt', _r."createdAt"));
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS _code = RETURNED_SQLSTATE, _message = MESSAGE_TEXT;
      _out := _out || jsonb_build_array(jsonb_build_object('code', _code, 'message', _message));
    END;
  END LOOP;
  ${TAKE_BATCH_STOCK.text.replace('$1::jsonb', '_taken')};
  RETURN _out;
END $fn$`;
  // Named by a hash of the whole definition: any change to it, not only to the statement, is a new function.
  const name = `xinyi_redeem_batch_${createHash('sha1').update(ddl('')).digest('hex').slice(0, 16)}`;
  return { name, ddl: ddl(name) };
}

/** What a one-statement redemption needs besides the receipt row. */
export type OneStatementRedemption = NewRedemption & {
  expectedSeq: number;
  read: { balance: number; creditScore: number; grade: string; ratingYear: number };
  posting: PostingRow;
  creditScore: number;
  grade: string;
  shopName: string;
  actor: string;
  audit: AuditLogInsert;
};
export interface OneStatementResult {
  head: boolean;
  stock: boolean;
  postingId: string | null;
  createdAt: Date | null;
}
const NOTHING_WRITTEN: OneStatementResult = { head: false, stock: false, postingId: null, createdAt: null };

function oneStatementValues(r: OneStatementRedemption): unknown[] {
  const byId = [...r.lines].sort((a, b) => (a.goodsId < b.goodsId ? -1 : a.goodsId > b.goodsId ? 1 : 0));
  const p = r.posting;
  const values: Record<OneStatementParam, unknown> = {
    accountId: r.residentId, expectedSeq: r.expectedSeq, readBalance: r.read.balance, readCreditScore: r.read.creditScore, readGrade: r.read.grade, readRatingYear: r.read.ratingYear, seq: p.seq, balance: r.balanceAfter, creditScore: r.creditScore, grade: r.grade, headHash: p.hash,
    postingTownId: p.townId, postingVillageId: p.villageId, kind: p.kind, points: p.points, sourceRef: p.sourceRef, counterparty: p.counterparty, period: p.period, itemCode: p.itemCode ?? null, memo: p.memo ?? null,
    postedAt: p.postedAt, prevHash: p.prevHash,
    goodsIds: byId.map((l) => l.goodsId), quantities: byId.map((l) => l.quantity), prices: byId.map((l) => l.pricePoints), shopId: r.shopId, townId: r.townId, villageId: r.villageId, actor: r.actor,
    id: r.id, receiptNo: r.receiptNo, terminalId: r.terminalId, clerkId: r.clerkId, idempotencyKey: r.idempotencyKey, requestHash: r.requestHash, lines: JSON.stringify(r.lines), totalPoints: r.totalPoints, shopName: r.shopName,
    auditTownId: r.audit.townId, auditActorType: r.audit.actorType, auditActorId: r.audit.actorId, auditActorRole: r.audit.actorRole, auditAction: r.audit.action, auditTargetType: r.audit.targetType, auditTargetId: r.audit.targetId, auditRequestId: r.audit.requestId, auditSummary: r.audit.summary ? JSON.stringify(r.audit.summary) : null,
  };
  return ONE_STATEMENT_ORDER.map((k) => values[k]);
}

const BATCH_FUNCTION = batchFunctionSql();
const CALL_BATCH_FUNCTION = prepared(`SELECT ${BATCH_FUNCTION.name}($1::jsonb, $2::uuid[], $3::int) AS out`);
type BatchFunctionOut = Array<OneStatementResult | { code: string; message: string }>;

@Injectable()
export class RedemptionStatementRepository implements OnModuleInit {
  private readonly log = new Logger(RedemptionStatementRepository.name);
  /** Whether the batch function is there (else batches take the client-side savepoint form). */
  private batchFunction = false;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Creates this version's batch function unless it is there already, under a transaction
   * advisory lock so that processes starting together do not race on it. Where the role may not
   * create functions, batches go the client-side way (one round trip per statement), as before.
   */
  async onModuleInit(): Promise<void> {
    try {
      await this.db.transaction(async (m) => {
        await m.query(`SELECT pg_advisory_xact_lock(hashtext('xinyi_redeem_batch'))`);
        const [{ n }] = (await m.query(`SELECT count(*)::int AS n FROM pg_proc WHERE proname = $1`, [BATCH_FUNCTION.name])) as Array<{ n: number }>;
        if (n === 0) await m.query(BATCH_FUNCTION.ddl);
      });
      this.batchFunction = true;
    } catch (err) {
      this.log.warn({ err: (err as Error).message, function: BATCH_FUNCTION.name }, 'redemption batch function not created: batches use one round trip per statement');
    }
  }

  /**
   * Writes a whole redemption in one statement on its own connection, committed by itself (see
   * REDEEM_IN_ONE_STATEMENT): `head` false means the account moved on since `expectedSeq` was read,
   * `stock` false that a line lost its price, stock or shelf; then nothing was written.
   */
  async redeemInOneStatement(r: OneStatementRedemption): Promise<OneStatementResult> {
    const row = await queryOne<OneStatementResult>(this.db, REDEEM_IN_ONE_STATEMENT, oneStatementValues(r));
    return row ?? NOTHING_WRITTEN;
  }

  /**
   * Group commit: several redemptions in ONE transaction and one commit, each in a savepoint of
   * its own, so each has its own answer and its own failure (a statement error rolls back that
   * redemption alone, and is returned in its place). First the batch's goods rows are locked, in
   * id order, once; then each redemption is REDEEM_IN_ONE_STATEMENT with the account taken
   * `SKIP LOCKED` (an account another transaction holds answers `head` false: the locking path,
   * after the batch), so the batch never waits on an account while holding goods. A redemption
   * that waits longer than `lockTimeoutMs` on any other row lock (a twin with the same
   * idempotency key in flight elsewhere) fails alone with 55P03. Nothing is returned before the
   * commit; if the commit fails, every redemption of the batch gets that error (none is written).
   * Where the batch function exists (batchFunctionSql) all of this is that one call; otherwise the
   * same steps go from here, one round trip each.
   */
  async redeemBatch(rs: OneStatementRedemption[], lockTimeoutMs: number): Promise<Array<OneStatementResult | { error: unknown }>> {
    const goodsIds = [...new Set(rs.flatMap((r) => r.lines.map((l) => l.goodsId)))].sort();
    if (this.batchFunction) {
      // One statement: its own transaction, committed when it returns.
      const row = await queryOne<{ out: BatchFunctionOut }>(this.db, CALL_BATCH_FUNCTION, [JSON.stringify(rs.map(oneStatementValues)), goodsIds, Math.floor(lockTimeoutMs)]);
      return (row?.out ?? []).map((o) =>
        'code' in o ? { error: Object.assign(new Error(o.message), { code: o.code }) } : { ...o, createdAt: o.createdAt ? new Date(o.createdAt) : null },
      );
    }
    const qr = this.db.createQueryRunner();
    try {
      await qr.connect();
      await qr.query('BEGIN');
      try {
        await queryRows(qr.manager, LOCK_GOODS_IN_ORDER, [goodsIds]);
        await qr.query(`SET LOCAL lock_timeout = ${Math.floor(lockTimeoutMs)}`);
        const out: Array<OneStatementResult | { error: unknown }> = [];
        const taken: Record<string, number> = {};
        for (const [i, r] of rs.entries()) {
          await qr.query(i === 0 ? 'SAVEPOINT redemption' : 'RELEASE SAVEPOINT redemption; SAVEPOINT redemption');
          try {
            const res = (await queryOne<OneStatementResult>(qr.manager, REDEEM_IN_BATCH_TAKING, [...oneStatementValues(r), JSON.stringify(taken)])) ?? NOTHING_WRITTEN;
            if (res.head && res.stock) addTaken(taken, r);
            out.push(res);
          } catch (error) {
            await qr.query('ROLLBACK TO SAVEPOINT redemption');
            out.push({ error });
          }
        }
        if (rs.length) await qr.query('RELEASE SAVEPOINT redemption');
        await queryRows(qr.manager, TAKE_BATCH_STOCK, [JSON.stringify(taken)]);
        await qr.query('COMMIT');
        return out;
      } catch (err) {
        await qr.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      await qr.release();
    }
  }
}
