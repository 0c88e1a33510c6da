import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { prepared, queryOne, queryRows, type Db } from '@app/database/sql';
import type { LockedAccount } from '@app/ledger/ledger.types';

/*
 * A redemption's reads (card holder, basket), the locking path (takeStockAndRecord), receipts and
 * voids, goods and the reconciliation. The one-statement redemption and its group commit are in
 * ./redemption-statement.repository.ts.
 */

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
