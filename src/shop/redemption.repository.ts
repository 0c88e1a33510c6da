import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditLogInsert } from '@app/audit/audit.service';
import { prepared, queryOne, queryRows, type Db } from '@app/database/sql';
import type { LockedAccount, PostingRow } from '@app/ledger/ledger.types';
import { redemptionNoticeInsert } from '@app/notices/notice-sql';

export interface CardHolder {
  id: string;
  shopCode: string;
  shopName: string;
  townId: string;
  villageId: string;
  villageName: string;
  name: string;
  status: string;
  served: boolean;
  balance: number | null;
  creditScore: number | null;
  grade: string | null;
}

export interface GoodsRow {
  id: string;
  townId: string;
  shopId: string;
  name: string;
  unit: string;
  pricePoints: number;
  stock: number;
  active: boolean;
  code: string | null;
  barcode: string | null;
}

export interface RedemptionRow {
  id: string;
  townId: string;
  shopId: string;
  villageId: string;
  residentId: string;
  terminalId: string;
  clerkId: string | null;
  receiptNo: string;
  idempotencyKey: string;
  requestHash: string;
  lines: Array<{ goodsId: string; name: string; unit: string; quantity: number; pricePoints: number; points: number }>;
  totalPoints: number;
  balanceAfter: number;
  postingId: string;
  createdAt: Date;
  voidedAt: Date | null;
  voidReason: string | null;
  voidBalanceAfter: number | null;
  shopName: string;
  terminalName: string;
  clerkName: string | null;
}

/** An account head as read without a lock before a redemption: the ledger's LockedAccount, unlocked. */
export type AccountHeadRead = LockedAccount;

/** What a new redemption row holds (the names come from joins when it is read back). */
export type NewRedemption = Omit<RedemptionRow, 'createdAt' | 'voidedAt' | 'voidReason' | 'voidBalanceAfter' | 'shopName' | 'terminalName' | 'clerkName'>;

const GOODS_COLUMNS = `id, town_id AS "townId", shop_id AS "shopId", name, unit, price_points AS "pricePoints", stock, active, code, barcode`;
const REDEMPTION_SELECT = `SELECT r.id, r.town_id AS "townId", r.shop_id AS "shopId", r.village_id AS "villageId", r.resident_id AS "residentId",
  r.terminal_id AS "terminalId", r.clerk_id AS "clerkId", r.receipt_no AS "receiptNo", r.idempotency_key AS "idempotencyKey", r.request_hash AS "requestHash", r.lines,
  r.total_points AS "totalPoints", r.balance_after AS "balanceAfter", r.posting_id::text AS "postingId", r.created_at AS "createdAt",
  v.voided_at AS "voidedAt", v.reason AS "voidReason", v.balance_after AS "voidBalanceAfter",
  s.name AS "shopName", t.name AS "terminalName", c.display_name AS "clerkName"
  FROM redemptions r LEFT JOIN redemption_voids v ON v.redemption_id = r.id
  JOIN shops s ON s.id = r.shop_id JOIN terminals t ON t.id = r.terminal_id LEFT JOIN staff_users c ON c.id = r.clerk_id`;

const BY_KEY = prepared(`${REDEMPTION_SELECT} WHERE r.terminal_id = $1 AND r.idempotency_key = $2`);

const CARD_HOLDER_SELECT = `SELECT r.id, (SELECT code FROM shops WHERE id = $2) AS "shopCode", (SELECT name FROM shops WHERE id = $2) AS "shopName", r.town_id AS "townId", r.village_id AS "villageId", v.name AS "villageName", r.name, r.status,
       EXISTS (SELECT 1 FROM shop_villages sv WHERE sv.shop_id = $2 AND sv.village_id = r.village_id) AS served,
       a.balance, a.credit_score AS "creditScore", a.grade`;
const CARD_HOLDER_FROM = `FROM residents r JOIN villages v ON v.id = r.village_id LEFT JOIN accounts a ON a.resident_id = r.id WHERE r.card_code = $1`;

const CARD_HOLDER = prepared(`${CARD_HOLDER_SELECT} ${CARD_HOLDER_FROM}`);

const BASKET = prepared(
  `${CARD_HOLDER_SELECT},
       (SELECT coalesce(json_agg(g), '[]'::json) FROM (SELECT ${GOODS_COLUMNS} FROM goods WHERE id = ANY($3::uuid[])) g) AS goods,
       nextval('receipt_seq')::int AS "receiptSeq",
       CASE WHEN a.resident_id IS NOT NULL THEN json_build_object(
         'accountId', a.resident_id, 'townId', a.town_id, 'villageId', a.village_id, 'balance', a.balance, 'creditScore', a.credit_score, 'grade', a.grade,
         'ratingYear', a.rating_year, 'seq', a.seq, 'headHash', a.head_hash, 'baseScore', tw.base_score, 'gradeThresholds', tw.grade_thresholds) END AS head
   ${CARD_HOLDER_FROM.replace('LEFT JOIN accounts a ON a.resident_id = r.id', 'LEFT JOIN accounts a ON a.resident_id = r.id LEFT JOIN towns tw ON tw.id = a.town_id')}`,
);

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

/** A batch's goods rows, in id order (the one lock order of every goods writer). */
const LOCK_GOODS_IN_ORDER = prepared(`SELECT id FROM goods WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`);

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

const TAKE_STOCK_AND_RECORD = prepared(
  `WITH t AS (SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[]) WITH ORDINALITY AS t(goods_id, q, price, n)),
   g AS (
     UPDATE goods SET stock = goods.stock - t.q FROM t
      WHERE goods.id = t.goods_id AND goods.shop_id = $4 AND goods.active AND goods.price_points = t.price AND goods.stock >= t.q
     RETURNING goods.id),
   ok AS (SELECT count(*) = cardinality($1::uuid[]) AS ok FROM g),
   mv AS (
     INSERT INTO stock_movements (town_id, shop_id, goods_id, kind, quantity, reason, actor, redemption_id)
     SELECT $5, $4, t.goods_id, 'redeemed', -t.q, $8, $6, $7 FROM t WHERE (SELECT ok FROM ok)),
   rd AS (
     INSERT INTO redemptions (id, town_id, shop_id, village_id, resident_id, terminal_id, clerk_id, receipt_no, idempotency_key, request_hash, lines, total_points, balance_after, posting_id)
     SELECT $7, $5, $4, $9, $10, $11, $18, $8, $12, $13, $14, $15, $16, $17 WHERE (SELECT ok FROM ok)
     RETURNING created_at)
   SELECT (SELECT ok FROM ok) AS ok, (SELECT created_at FROM rd) AS "createdAt"`,
);

@Injectable()
export class RedemptionRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Runs `work` in one transaction (the feature's only way to open one). */
  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The card holder with everything a terminal shows, and whether this shop serves their village: one query. */
  async findCardHolder(cardCode: string, shopId: string, db: Db = this.db): Promise<CardHolder | null> {
    return queryOne<CardHolder>(db, CARD_HOLDER, [cardCode, shopId]);
  }

  /**
   * Everything a redemption reads before its transaction, in one round trip: the card holder
   * (as findCardHolder), the basket's goods as they are now (no lock) and a receipt number. No
   * row when the card is unknown.
   */
  async findBasket(cardCode: string, shopId: string, goodsIds: string[], db: Db = this.db): Promise<(CardHolder & { goods: GoodsRow[]; receiptSeq: number; head: AccountHeadRead | null }) | null> {
    return queryOne(db, BASKET, [cardCode, shopId, goodsIds]);
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
   */
  async redeemBatch(rs: OneStatementRedemption[], lockTimeoutMs: number): Promise<Array<OneStatementResult | { error: unknown }>> {
    const goodsIds = [...new Set(rs.flatMap((r) => r.lines.map((l) => l.goodsId)))].sort();
    const qr = this.db.createQueryRunner();
    try {
      await qr.connect();
      await qr.query('BEGIN');
      try {
        await queryRows(qr.manager, LOCK_GOODS_IN_ORDER, [goodsIds]);
        await qr.query(`SET LOCAL lock_timeout = ${Math.floor(lockTimeoutMs)}`);
        const out: Array<OneStatementResult | { error: unknown }> = [];
        for (const [i, r] of rs.entries()) {
          await qr.query(i === 0 ? 'SAVEPOINT redemption' : 'RELEASE SAVEPOINT redemption; SAVEPOINT redemption');
          try {
            out.push((await queryOne<OneStatementResult>(qr.manager, REDEEM_IN_BATCH, oneStatementValues(r))) ?? NOTHING_WRITTEN);
          } catch (error) {
            await qr.query('ROLLBACK TO SAVEPOINT redemption');
            out.push({ error });
          }
        }
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

  /**
   * Takes the stock, writes the stock movements and the receipt, in one statement, so the goods
   * rows stay locked only for it and the commit. Stock is taken only if every line still has
   * its price, is on sale and in stock; otherwise nothing is written and `ok` is false. The
   * goods go in sorted by id, so baskets meet the rows in one order; the receipt's lines are
   * stored in the basket's order.
   */
  async takeStockAndRecord(m: EntityManager, r: NewRedemption, actor: string): Promise<{ ok: boolean; createdAt: Date | null }> {
    // Goods in id order (the lock order); the receipt keeps the basket's order.
    const byId = [...r.lines].sort((a, b) => (a.goodsId < b.goodsId ? -1 : a.goodsId > b.goodsId ? 1 : 0));
    const row = await queryOne<{ ok: boolean; createdAt: Date | null }>(
      m,
      TAKE_STOCK_AND_RECORD,
      [
        byId.map((l) => l.goodsId),
        byId.map((l) => l.quantity),
        byId.map((l) => l.pricePoints),
        r.shopId,
        r.townId,
        actor,
        r.id,
        r.receiptNo,
        r.villageId,
        r.residentId,
        r.terminalId,
        r.idempotencyKey,
        r.requestHash,
        JSON.stringify(r.lines),
        r.totalPoints,
        r.balanceAfter,
        r.postingId,
        r.clerkId,
      ],
    );
    return row ?? { ok: false, createdAt: null };
  }

  /** The basket's goods as they are now, without a lock. */
  async findGoodsByIds(ids: string[], db: Db = this.db): Promise<GoodsRow[]> {
    return queryRows<GoodsRow>(db, `SELECT ${GOODS_COLUMNS} FROM goods WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Locks the basket's goods rows in id order, so two baskets never deadlock on each other. */
  async lockGoods(m: EntityManager, ids: string[]): Promise<GoodsRow[]> {
    return queryRows<GoodsRow>(m, `SELECT ${GOODS_COLUMNS} FROM goods WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [ids]);
  }

  async moveStock(m: EntityManager, rows: Array<{ townId: string; shopId: string; goodsId: string; kind: string; quantity: number; reason: string | null; actor: string; redemptionId: string | null }>): Promise<void> {
    const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
    await m.query(
      `UPDATE goods g SET stock = g.stock + t.q FROM unnest($1::uuid[], $2::int[]) AS t(id, q) WHERE g.id = t.id`,
      [col('goodsId'), col('quantity')],
    );
    await m.query(
      `INSERT INTO stock_movements (town_id, shop_id, goods_id, kind, quantity, reason, actor, redemption_id)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int[], $6::text[], $7::text[], $8::uuid[])`,
      [col('townId'), col('shopId'), col('goodsId'), col('kind'), col('quantity'), col('reason'), col('actor'), col('redemptionId')],
    );
  }

  async findByKey(terminalId: string, key: string, db: Db = this.db): Promise<RedemptionRow | null> {
    return queryOne<RedemptionRow>(db, BY_KEY, [terminalId, key]);
  }

  /** A receipt number is unique per town (uq_redemptions_receipt_no), not across towns. */
  async findByReceipt(townId: string, receiptNo: string, db: Db = this.db): Promise<RedemptionRow | null> {
    return queryOne<RedemptionRow>(db, `${REDEMPTION_SELECT} WHERE r.receipt_no = $1 AND r.town_id = $2`, [receiptNo, townId]);
  }

  async lockRedemption(m: EntityManager, id: string): Promise<void> {
    await m.query(`SELECT 1 FROM redemptions WHERE id = $1 FOR UPDATE`, [id]);
  }

  async insertVoid(m: EntityManager, v: { redemptionId: string; townId: string; reason: string; actor: string; terminalId: string | null; postingId: string; balanceAfter: number }): Promise<void> {
    await m.query(`INSERT INTO redemption_voids (redemption_id, town_id, reason, actor, terminal_id, posting_id, balance_after) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      v.redemptionId,
      v.townId,
      v.reason,
      v.actor,
      v.terminalId,
      v.postingId,
      v.balanceAfter,
    ]);
  }

  async listForTerminalSince(terminalId: string, since: Date, db: Db = this.db): Promise<RedemptionRow[]> {
    return queryRows<RedemptionRow>(db, `${REDEMPTION_SELECT} WHERE r.terminal_id = $1 AND r.created_at >= $2 ORDER BY r.created_at DESC LIMIT 1000`, [terminalId, since]);
  }

  /** A shop's receipts made since `since` at any of its terminals, newest first. */
  async listForShopSince(shopId: string, since: Date, db: Db = this.db): Promise<RedemptionRow[]> {
    return queryRows<RedemptionRow>(db, `${REDEMPTION_SELECT} WHERE r.shop_id = $1 AND r.created_at >= $2 ORDER BY r.created_at DESC, r.receipt_no DESC LIMIT 5000`, [shopId, since]);
  }

  /** Masked on the way out by the caller; the raw name never leaves the service. */
  async residentNameOf(residentId: string, db: Db = this.db): Promise<string | null> {
    return (await queryOne<{ name: string }>(db, `SELECT name FROM residents WHERE id = $1`, [residentId]))?.name ?? null;
  }

  // ---- goods management ----

  async insertGoods(m: EntityManager, g: { townId: string; shopId: string; name: string; unit: string; pricePoints: number; code: string | null; barcode: string | null }): Promise<GoodsRow> {
    return (await queryOne<GoodsRow>(
      m,
      `INSERT INTO goods (town_id, shop_id, name, unit, price_points, code, barcode) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${GOODS_COLUMNS}`,
      [g.townId, g.shopId, g.name, g.unit, g.pricePoints, g.code, g.barcode],
    )) as GoodsRow;
  }

  /** Writes the given fields of a locked goods row; returns it as it is now. */
  async updateGoods(m: EntityManager, id: string, f: Partial<Pick<GoodsRow, 'name' | 'unit' | 'pricePoints' | 'code' | 'barcode' | 'active'>>): Promise<GoodsRow> {
    const cols: Record<string, string> = { name: 'name', unit: 'unit', pricePoints: 'price_points', code: 'code', barcode: 'barcode', active: 'active' };
    const params: unknown[] = [id];
    const sets = Object.entries(f)
      .filter(([k, v]) => v !== undefined && k in cols)
      .map(([k, v]) => `${cols[k]} = $${params.push(v)}`);
    if (!sets.length) return (await this.findGoods(id, m)) as GoodsRow;
    return (await queryOne<GoodsRow>(m, `UPDATE goods SET ${sets.join(', ')} WHERE id = $1 RETURNING ${GOODS_COLUMNS}`, params)) as GoodsRow;
  }

  async findGoods(id: string, db: Db = this.db): Promise<GoodsRow | null> {
    return queryOne<GoodsRow>(db, `SELECT ${GOODS_COLUMNS} FROM goods WHERE id = $1`, [id]);
  }

  /** `q`: the name contains it (any case), or the code (any case) or the barcode is exactly it. */
  async listGoods(shopId: string, f: { activeOnly?: boolean; lowStock?: number; q?: string }, db: Db = this.db): Promise<GoodsRow[]> {
    const where = ['shop_id = $1'];
    const params: unknown[] = [shopId];
    if (f.activeOnly) where.push('active');
    if (f.lowStock !== undefined) where.push(`active AND stock <= $${params.push(f.lowStock)}`);
    if (f.q) {
      const n = params.push(f.q);
      const like = params.push(`%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`(name ILIKE $${like} OR lower(code) = lower($${n}) OR barcode = $${n})`);
    }
    return queryRows<GoodsRow>(db, `SELECT ${GOODS_COLUMNS} FROM goods WHERE ${where.join(' AND ')} ORDER BY name, id`, params);
  }

  async setGoodsActive(m: EntityManager, id: string, active: boolean): Promise<void> {
    await m.query(`UPDATE goods SET active = $2 WHERE id = $1`, [id, active]);
  }

  // ---- reconciliation ----

  /** Per day (Asia/Shanghai) and goods: units out, points redeemed, points voided. */
  async reconciliation(f: { townId: string; shopId?: string; from: string; to: string }, db: Db = this.db) {
    const params: unknown[] = [f.townId, f.from, f.to];
    const shop = f.shopId ? `AND r.shop_id = $${params.push(f.shopId)}` : '';
    return queryRows<{ day: string; shopId: string; goodsId: string; goodsName: string; unit: string; quantity: number; points: number; voidedQuantity: number; voidedPoints: number }>(
      db,
      `SELECT to_char(r.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day, r.shop_id AS "shopId", l."goodsId", l.name AS "goodsName", l.unit,
              sum(l.quantity)::int AS quantity, sum(l.points)::int AS points,
              sum(CASE WHEN v.redemption_id IS NOT NULL THEN l.quantity ELSE 0 END)::int AS "voidedQuantity",
              sum(CASE WHEN v.redemption_id IS NOT NULL THEN l.points ELSE 0 END)::int AS "voidedPoints"
       FROM redemptions r
       CROSS JOIN LATERAL jsonb_to_recordset(r.lines) AS l("goodsId" uuid, name text, unit text, quantity int, points int)
       LEFT JOIN redemption_voids v ON v.redemption_id = r.id
       WHERE r.town_id = $1 AND r.created_at >= ($2::date::timestamp AT TIME ZONE 'Asia/Shanghai')
         AND r.created_at < (($3::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') ${shop}
       GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 4`,
      params,
    );
  }
}
