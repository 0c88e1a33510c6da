import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { prepared, queryOne, queryRows, type Queryable } from '@app/database/sql';
import type { GradeThresholds } from '@app/scoring/grade';
import type { Explanation, ItemCaps, Rule } from '@app/scoring/rules/rule.types';
import type { CheckpointVersion } from './checkpoint';
import type { PostingKind } from './ledger.entities';
import type { PostingRow } from './ledger.types';

export type { PostingRow };

const LOCKED_ACCOUNT_COLUMNS = `a.resident_id AS "accountId", a.town_id AS "townId", a.village_id AS "villageId", a.balance,
              a.credit_score AS "creditScore", a.grade, a.rating_year AS "ratingYear", a.seq, a.head_hash AS "headHash",
              t.base_score AS "baseScore", t.grade_thresholds AS "gradeThresholds"`;

const LOCK_ONE_ACCOUNT = prepared(
  `SELECT ${LOCKED_ACCOUNT_COLUMNS} FROM accounts a JOIN towns t ON t.id = a.town_id WHERE a.resident_id = $1 FOR UPDATE OF a`,
);

const APPEND_POSTING_WITH_HEAD = prepared(
  `WITH p AS (
     INSERT INTO postings (town_id, village_id, account_id, seq, kind, points, source_ref, counterparty, period, item_code, memo, posted_at, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (kind, source_ref, town_id) DO NOTHING
     RETURNING id),
   u AS (
     UPDATE accounts SET balance = $15, credit_score = $16, grade = $17, seq = $4, head_hash = $14, updated_at = now()
      WHERE resident_id = $3 AND EXISTS (SELECT 1 FROM p)
     RETURNING 1)
   SELECT (SELECT id::text FROM p) AS id, (SELECT count(*) FROM u) AS updated`,
);

type Db = Pick<DataSource | EntityManager, 'query'>;

/** Rows per INSERT … SELECT FROM unnest: keeps each statement's parameters a few MB. */
const INSERT_CHUNK = 10_000;

export interface NewAccountSource {
  residentId: string;
  townId: string;
  villageId: string;
  baseScore: number;
  gradeThresholds: GradeThresholds | null;
  ratingYear: number;
}

export interface NewAccountRow {
  residentId: string;
  townId: string;
  villageId: string;
  creditScore: number;
  grade: string;
  ratingYear: number;
  headHash: string;
}

export interface LockedAccount {
  accountId: string;
  townId: string;
  villageId: string;
  balance: number;
  creditScore: number;
  grade: string;
  ratingYear: number;
  seq: number;
  headHash: string;
  baseScore: number;
  gradeThresholds: GradeThresholds | null;
}

export interface StoredPosting extends PostingRow {
  id: string;
}

export interface StoredCheckpoint {
  cycleId: string;
  villageId: string;
  period: string;
  version: CheckpointVersion;
  /** [accountId, seq, headHash] per account, as finalize read them. */
  heads: Array<[string, number, string]>;
  hash: string;
  /** The value on the cycle (printed on the board); null only if the cycle row is gone. */
  cycleHash: string | null;
}

export interface MissingCheckpointHead {
  cycleId: string;
  accountId: string;
  seq: number;
  expected: string;
  found: string | null;
}

export interface AccountHeadUpdate {
  accountId: string;
  balance: number;
  creditScore: number;
  grade: string;
  seq: number;
  headHash: string;
}

export interface CorrectablePosting extends StoredPosting {
  residentVillageId: string;
  residentTownId: string;
}

export interface AccountProjection {
  accountId: string;
  balance: number;
  creditScore: number;
  ratingYear: number;
  seq: number;
  headHash: string;
}

export interface TownSettings {
  id: string;
  baseScore: number;
  gradeThresholds: GradeThresholds | null;
  expireBalanceAtYearEnd: boolean;
}

export interface StatementResident {
  residentId: string;
  name: string;
  townId: string;
  villageId: string;
  villageName: string;
  baseScore: number;
  gradeThresholds: GradeThresholds | null;
  balance: number | null;
  creditScore: number | null;
  grade: string | null;
}

export interface StatementPostingRow {
  id: string;
  seq: number;
  postedAt: Date;
  period: string;
  kind: PostingKind;
  points: number;
  itemCode: string | null;
  itemName: string | null;
  memo: string | null;
  sourceRef: string;
  correctionType: 'reversal' | 'amount' | null;
  correctionReason: string | null;
  originalPostingId: string | null;
  /** Deed postings: the entry behind them, the exact item version that scored it, its review. */
  entry: {
    occurredOn: string;
    period: string;
    reason: string | null;
    evidenceNote: string | null;
    explanation: Explanation;
    sign: 1 | -1;
    rule: Rule;
    caps: ItemCaps | null;
    decision: 'approved' | 'rejected' | null;
    decisionReason: string | null;
    decidedAt: string | null;
    meetingOn: string | null;
    objectionDismissed: boolean;
  } | null;
  /** Redemptions and their voids: the receipt and the shop. */
  receiptNo: string | null;
  shopName: string | null;
}

const POSTING_COLUMNS = `p.id::text AS id, p.town_id AS "townId", p.village_id AS "villageId", p.account_id AS "accountId", p.seq, p.kind,
  p.points, p.source_ref AS "sourceRef", p.counterparty, p.period, p.item_code AS "itemCode", p.memo, p.posted_at AS "postedAt",
  p.prev_hash AS "prevHash", p.hash`;

/** All SQL of the ledger. Methods taking `m` run inside the caller's transaction. */
@Injectable()
export class LedgerRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  get dataSource(): DataSource {
    return this.db;
  }

  // ---- accounts --------------------------------------------------------------------------

  /**
   * Residents among `residentIds` that have no account yet, with what opening one needs. A new
   * account joins its town's current rating year (the latest any account of the town is in), or
   * `fallbackYear` for a town's first account.
   */
  async findResidentsWithoutAccount(m: Db, residentIds: string[], fallbackYear: number): Promise<NewAccountSource[]> {
    // Driven by the id list (index lookups per id), so the plan stays linear even when the
    // statistics of a fast-growing accounts table are stale.
    const missing = await queryRows<Omit<NewAccountSource, 'ratingYear'>>(
      m,
      `SELECT r.id AS "residentId", r.town_id AS "townId", r.village_id AS "villageId", t.base_score AS "baseScore",
              t.grade_thresholds AS "gradeThresholds"
         FROM unnest($1::uuid[]) AS ids(id)
         JOIN residents r ON r.id = ids.id
         JOIN towns t ON t.id = r.town_id
         LEFT JOIN accounts a ON a.resident_id = ids.id
        WHERE a.resident_id IS NULL`,
      [residentIds],
    );
    if (missing.length === 0) return [];
    // Once per town (usually one), in its own statement: as a correlated subquery it ran per resident.
    const towns = [...new Set(missing.map((r) => r.townId))].sort();
    // A share lock on the town first: a year end (which locks it for update) either finishes
    // before this reads the current year, or waits for this account and then moves it too.
    // Without it an account opened during a year end stayed in the old year.
    await m.query(`SELECT 1 FROM towns WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE`, [towns]);
    const years = await queryRows<{ townId: string; ratingYear: number }>(
      m,
      `SELECT t.id AS "townId", COALESCE((SELECT max(a.rating_year) FROM accounts a WHERE a.town_id = t.id), $2)::int AS "ratingYear"
         FROM unnest($1::uuid[]) AS t(id)`,
      [towns, fallbackYear],
    );
    const yearOf = new Map(years.map((y) => [y.townId, y.ratingYear]));
    return missing.map((r) => ({ ...r, ratingYear: yearOf.get(r.townId) ?? fallbackYear }));
  }

  /** Opens accounts; a concurrent batch opening the same account first is fine (DO NOTHING). */
  async insertAccounts(m: Db, rows: NewAccountRow[]): Promise<void> {
    if (rows.length === 0) return;
    await m.query(
      `INSERT INTO accounts (resident_id, town_id, village_id, balance, credit_score, grade, rating_year, seq, head_hash)
       SELECT u.resident_id, u.town_id, u.village_id, 0, u.credit_score, u.grade, u.rating_year, 0, u.head_hash
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::int[], $7::text[])
              AS u(resident_id, town_id, village_id, credit_score, grade, rating_year, head_hash)
       ON CONFLICT (resident_id, town_id) DO NOTHING`,
      [
        rows.map((r) => r.residentId),
        rows.map((r) => r.townId),
        rows.map((r) => r.villageId),
        rows.map((r) => r.creditScore),
        rows.map((r) => r.grade),
        rows.map((r) => r.ratingYear),
        rows.map((r) => r.headHash),
      ],
    );
  }

  /**
   * Locks the accounts in resident-id order (the lock is taken row by row in the ORDER BY
   * order, so two batches over overlapping accounts cannot deadlock) and returns them as locked.
   */
  async lockAccounts(m: Db, accountIds: string[]): Promise<LockedAccount[]> {
    return queryRows<LockedAccount>(
      m,
      `SELECT ${LOCKED_ACCOUNT_COLUMNS}
         FROM accounts a JOIN towns t ON t.id = a.town_id
        WHERE a.resident_id = ANY($1::uuid[])
        ORDER BY a.resident_id
        FOR UPDATE OF a`,
      [accountIds],
    );
  }

  /** One account, locked (the single-posting hot path; a prepared statement). */
  async lockAccount(m: Db, accountId: string): Promise<LockedAccount | null> {
    return queryOne<LockedAccount>(m, LOCK_ONE_ACCOUNT, [accountId]);
  }

  /** Writes the new heads and projections of the accounts a batch touched, in one statement. */
  async updateAccountHeads(m: Db, rows: AccountHeadUpdate[]): Promise<void> {
    if (rows.length === 0) return;
    await m.query(
      `UPDATE accounts a
          SET balance = u.balance, credit_score = u.credit_score, grade = u.grade, seq = u.seq, head_hash = u.head_hash, updated_at = now()
         FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::int[], $6::text[])
              AS u(resident_id, balance, credit_score, grade, seq, head_hash)
        WHERE a.resident_id = u.resident_id`,
      [
        rows.map((r) => r.accountId),
        rows.map((r) => r.balance),
        rows.map((r) => r.creditScore),
        rows.map((r) => r.grade),
        rows.map((r) => r.seq),
        rows.map((r) => r.headHash),
      ],
    );
  }

  // ---- postings --------------------------------------------------------------------------

  /**
   * One posting and its account's new head in a single statement (the hot path). The unique
   * (kind, source_ref) decides: if the source is already in the ledger nothing is written and
   * the id is null.
   */
  async appendPostingWithHead(m: Db, r: PostingRow, head: { balance: number; creditScore: number; grade: string }): Promise<string | null> {
    const row = await queryOne<{ id: string | null }>(
      m,
      APPEND_POSTING_WITH_HEAD,
      [r.townId, r.villageId, r.accountId, r.seq, r.kind, r.points, r.sourceRef, r.counterparty, r.period, r.itemCode, r.memo, r.postedAt, r.prevHash, r.hash, head.balance, head.creditScore, head.grade],
    );
    return row?.id ?? null;
  }

  /** Which of these (kind, source_ref) pairs are already in the ledger. */
  async findPostedSources(m: Db, sources: Array<{ kind: string; sourceRef: string }>): Promise<Array<{ kind: string; sourceRef: string }>> {
    if (sources.length === 0) return [];
    return queryRows(
      m,
      `SELECT p.kind, p.source_ref AS "sourceRef"
         FROM postings p
         JOIN unnest($1::text[], $2::text[]) AS s(kind, source_ref) ON p.kind = s.kind AND p.source_ref = s.source_ref`,
      [sources.map((s) => s.kind), sources.map((s) => s.sourceRef)],
    );
  }

  /**
   * Appends postings, INSERT … SELECT FROM unnest in chunks. The unique (kind, source_ref) is
   * the backstop: a row it refuses is simply not returned, and the caller treats a short return
   * as a conflict.
   */
  async appendPostings(m: Db, rows: PostingRow[]): Promise<Array<{ id: string; kind: string; sourceRef: string }>> {
    const out: Array<{ id: string; kind: string; sourceRef: string }> = [];
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const chunk = rows.slice(i, i + INSERT_CHUNK);
      const inserted = await queryRows<{ id: string; kind: string; sourceRef: string }>(
        m,
        `INSERT INTO postings (town_id, village_id, account_id, seq, kind, points, source_ref, counterparty, period, item_code, memo, posted_at, prev_hash, hash)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[],
                              $10::text[], $11::text[], $12::timestamptz[], $13::text[], $14::text[])
         ON CONFLICT (kind, source_ref, town_id) DO NOTHING
         RETURNING id::text AS id, kind, source_ref AS "sourceRef"`,
        [
          chunk.map((r) => r.townId),
          chunk.map((r) => r.villageId),
          chunk.map((r) => r.accountId),
          chunk.map((r) => r.seq),
          chunk.map((r) => r.kind),
          chunk.map((r) => r.points),
          chunk.map((r) => r.sourceRef),
          chunk.map((r) => r.counterparty),
          chunk.map((r) => r.period),
          chunk.map((r) => r.itemCode),
          chunk.map((r) => r.memo),
          chunk.map((r) => r.postedAt.toISOString()),
          chunk.map((r) => r.prevHash),
          chunk.map((r) => r.hash),
        ],
      );
      out.push(...inserted);
    }
    return out;
  }

  // ---- corrections -----------------------------------------------------------------------

  async findPostingWithResident(m: Db, postingId: string): Promise<CorrectablePosting | null> {
    return queryOne<CorrectablePosting>(
      m,
      `SELECT ${POSTING_COLUMNS}, r.village_id AS "residentVillageId", r.town_id AS "residentTownId"
         FROM postings p JOIN residents r ON r.id = p.account_id
        WHERE p.id = $1::bigint`,
      [postingId],
    );
  }

  async listCorrectionsOf(m: Db, postingId: string): Promise<Array<{ type: 'reversal' | 'amount'; points: number }>> {
    return queryRows(m, `SELECT type, points FROM ledger_corrections WHERE original_posting_id = $1::bigint ORDER BY created_at`, [postingId]);
  }

  async insertCorrection(
    m: Db,
    c: { townId: string; residentId: string; originalPostingId: string; type: 'reversal' | 'amount'; points: number; reason: string; createdBy: string },
  ): Promise<{ id: string; createdAt: Date }> {
    const row = await queryOne<{ id: string; createdAt: Date }>(
      m,
      `INSERT INTO ledger_corrections (town_id, resident_id, original_posting_id, type, points, reason, created_by)
       VALUES ($1, $2, $3::bigint, $4, $5, $6, $7) RETURNING id, created_at AS "createdAt"`,
      [c.townId, c.residentId, c.originalPostingId, c.type, c.points, c.reason, c.createdBy],
    );
    return row as { id: string; createdAt: Date };
  }

  // ---- opening balances, towns -------------------------------------------------------------

  async findResidentsInTown(m: Db, townId: string, residentIds: string[]): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(m, `SELECT id FROM residents WHERE town_id = $1 AND id = ANY($2::uuid[])`, [townId, residentIds]);
    return rows.map((r) => r.id);
  }

  async findTown(m: Db | null, townId: string): Promise<TownSettings | null> {
    return queryOne<TownSettings>(
      m ?? this.db,
      `SELECT id, base_score AS "baseScore", grade_thresholds AS "gradeThresholds", expire_balance_at_year_end AS "expireBalanceAtYearEnd"
         FROM towns WHERE id = $1`,
      [townId],
    );
  }

  async listTownIds(m: Db = this.db): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(m, `SELECT id FROM towns ORDER BY id`);
    return rows.map((r) => r.id);
  }

  // ---- rating year end ---------------------------------------------------------------------

  /** Locks the town's accounts still in rating year `year`, in resident order. */
  async lockAccountsInRatingYear(m: Db, townId: string, year: number): Promise<LockedAccount[]> {
    return queryRows<LockedAccount>(
      m,
      `SELECT ${LOCKED_ACCOUNT_COLUMNS}
         FROM accounts a JOIN towns t ON t.id = a.town_id
        WHERE a.town_id = $1 AND a.rating_year = $2
        ORDER BY a.resident_id
        FOR UPDATE OF a`,
      [townId, year],
    );
  }

  /** Archives the finished year's score and grade; a rating already archived is kept as it is. */
  async archiveYearlyRatings(m: Db, townId: string, year: number, accountIds: string[]): Promise<number> {
    const rows = await queryRows<{ residentId: string }>(
      m,
      `INSERT INTO yearly_ratings (resident_id, year, town_id, credit_score, grade)
       SELECT a.resident_id, $2, a.town_id, a.credit_score, a.grade FROM accounts a
        WHERE a.town_id = $1 AND a.rating_year = $2 AND a.resident_id = ANY($3::uuid[])
       ON CONFLICT (resident_id, year, town_id) DO NOTHING
       RETURNING resident_id AS "residentId"`,
      [townId, year, accountIds],
    );
    return rows.length;
  }

  /** Σ deed/correction points per account already posted for periods of `year` (posted before the year was opened). */
  async sumCreditPointsOfYear(m: Db, townId: string, year: number): Promise<Map<string, number>> {
    const rows = await queryRows<{ accountId: string; points: number }>(
      m,
      `SELECT account_id AS "accountId", sum(points)::int AS points FROM postings
        WHERE town_id = $1 AND period >= $2 AND period <= $3 AND kind IN ('deed', 'correction')
        GROUP BY account_id`,
      [townId, `${year}-01`, `${year}-12`],
    );
    return new Map(rows.map((r) => [r.accountId, r.points]));
  }

  async startRatingYear(m: Db, year: number, rows: Array<{ accountId: string; creditScore: number; grade: string }>): Promise<void> {
    if (rows.length === 0) return;
    await m.query(
      `UPDATE accounts a SET rating_year = $1, credit_score = u.credit_score, grade = u.grade, updated_at = now()
         FROM unnest($2::uuid[], $3::int[], $4::text[]) AS u(resident_id, credit_score, grade)
        WHERE a.resident_id = u.resident_id`,
      [year, rows.map((r) => r.accountId), rows.map((r) => r.creditScore), rows.map((r) => r.grade)],
    );
  }

  /**
   * Re-derives the grade of every account of a town from its credit score with `thresholds`
   * (highest first). The grade is computed from the row being updated (no self-join), so an
   * account another transaction changes meanwhile is graded from its new score. Returns how many
   * grades changed.
   */
  async regradeTown(m: Db, townId: string, thresholds: GradeThresholds): Promise<number> {
    const rows = await queryRows<{ id: string }>(
      m,
      `WITH t AS (SELECT * FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS t(grade, min, n))
       UPDATE accounts a SET grade = (SELECT t.grade FROM t WHERE a.credit_score >= t.min ORDER BY t.n LIMIT 1), updated_at = now()
        WHERE a.town_id = $1
          AND a.grade IS DISTINCT FROM (SELECT t.grade FROM t WHERE a.credit_score >= t.min ORDER BY t.n LIMIT 1)
       RETURNING a.resident_id AS id`,
      [townId, thresholds.map((t) => t.grade), thresholds.map((t) => t.min)],
    );
    return rows.length;
  }

  // ---- verification ------------------------------------------------------------------------

  async listAccountProjections(townId: string, m: Db = this.db): Promise<AccountProjection[]> {
    return queryRows<AccountProjection>(
      m,
      `SELECT resident_id AS "accountId", balance, credit_score AS "creditScore", rating_year AS "ratingYear", seq, head_hash AS "headHash"
         FROM accounts WHERE town_id = $1 ORDER BY resident_id`,
      [townId],
    );
  }

  /** Accounts of a town that have postings but no account row (a deleted projection). */
  async findPostingAccountsWithoutAccount(townId: string, m: Db = this.db): Promise<Array<{ accountId: string; minSeq: number }>> {
    return queryRows(
      m,
      `SELECT p.account_id AS "accountId", min(p.seq)::int AS "minSeq" FROM postings p
        WHERE p.town_id = $1 AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.resident_id = p.account_id)
        GROUP BY p.account_id ORDER BY p.account_id`,
      [townId],
    );
  }

  // ---- checkpoints ---------------------------------------------------------------------------

  /** Every checkpoint of the town with the value printed on its cycle (and board). */
  listCheckpoints(townId: string, m: Db = this.db): Promise<StoredCheckpoint[]> {
    return queryRows<StoredCheckpoint>(
      m,
      `SELECT cc.cycle_id AS "cycleId", cc.village_id AS "villageId", cc.period, cc.version, cc.heads, cc.hash, c.checkpoint_hash AS "cycleHash"
       FROM cycle_checkpoints cc LEFT JOIN review_cycles c ON c.id = cc.cycle_id
       WHERE cc.town_id = $1 ORDER BY cc.period, cc.village_id`,
      [townId],
    );
  }

  /**
   * Per checkpoint, the first head (by account) that is no longer in the ledger as it was: no
   * posting with that (account, seq), or one with another hash. A head at seq 0 (an account with
   * no postings yet) has nothing to find. With the chain check (every stored hash recomputed) this
   * compares each checkpoint with the heads recomputed from the postings.
   */
  firstMissingCheckpointHeads(townId: string, m: Db = this.db): Promise<MissingCheckpointHead[]> {
    return queryRows<MissingCheckpointHead>(
      m,
      `SELECT DISTINCT ON (cc.cycle_id) cc.cycle_id AS "cycleId", (h.e->>0) AS "accountId", (h.e->>1)::int AS seq, (h.e->>2) AS expected, p.hash AS found
       FROM cycle_checkpoints cc
       CROSS JOIN LATERAL jsonb_array_elements(cc.heads) AS h(e)
       LEFT JOIN postings p ON p.account_id = (h.e->>0)::uuid AND p.seq = (h.e->>1)::int
       WHERE cc.town_id = $1 AND (h.e->>1)::int > 0 AND p.hash IS DISTINCT FROM (h.e->>2)
       ORDER BY cc.cycle_id, (h.e->>0)`,
      [townId],
    );
  }

  /** The account's village and town (whose checkpoints can hold it). */
  findAccountVillage(accountId: string, m: Db = this.db): Promise<{ townId: string; villageId: string } | null> {
    return queryOne(m, `SELECT town_id AS "townId", village_id AS "villageId" FROM accounts WHERE resident_id = $1`, [accountId]);
  }

  /** The village's checkpoint of `period`, or its latest one, with the cycle's finalize time. */
  findVillageCheckpoint(villageId: string, period: string | null, m: Db = this.db): Promise<(StoredCheckpoint & { townId: string; villageName: string; finalizedAt: Date | null }) | null> {
    return queryOne(
      m,
      `SELECT cc.cycle_id AS "cycleId", cc.town_id AS "townId", cc.village_id AS "villageId", v.name AS "villageName", cc.period, cc.version, cc.heads, cc.hash,
              c.checkpoint_hash AS "cycleHash", c.finalized_at AS "finalizedAt"
       FROM cycle_checkpoints cc JOIN villages v ON v.id = cc.village_id LEFT JOIN review_cycles c ON c.id = cc.cycle_id
       WHERE cc.village_id = $1 AND ($2::text IS NULL OR cc.period = $2)
       ORDER BY cc.period DESC LIMIT 1`,
      [villageId, period],
    );
  }

  /** The account's postings up to `seq`, in chain order (what a proof's head is recomputed from). */
  readAccountChain(accountId: string, uptoSeq: number, m: Db = this.db): Promise<StoredPosting[]> {
    return queryRows<StoredPosting>(m, `SELECT ${POSTING_COLUMNS} FROM postings p WHERE p.account_id = $1 AND p.seq <= $2 ORDER BY p.seq`, [accountId, uptoSeq]);
  }

  // ---- statements ----------------------------------------------------------------------------

  async findStatementResident(residentId: string, db: Queryable = this.db): Promise<StatementResident | null> {
    return queryOne<StatementResident>(
      db,
      `SELECT r.id AS "residentId", r.name, r.town_id AS "townId", r.village_id AS "villageId", v.name AS "villageName",
              t.base_score AS "baseScore", t.grade_thresholds AS "gradeThresholds", a.balance, a.credit_score AS "creditScore", a.grade
         FROM residents r JOIN towns t ON t.id = r.town_id JOIN villages v ON v.id = r.village_id
         LEFT JOIN accounts a ON a.resident_id = r.id
        WHERE r.id = $1`,
      [residentId],
    );
  }

  /**
   * Every posting of the account in seq order, with the catalogue item's name (a village's own
   * item first, else the town's most recently adopted version that has the code) and, for
   * corrections, the reason and the original posting.
   */
  async listStatementPostings(residentId: string, db: Queryable = this.db): Promise<StatementPostingRow[]> {
    return queryRows<StatementPostingRow>(
      db,
      `SELECT p.id::text AS id, p.seq, p.posted_at AS "postedAt", p.period, p.kind, p.points, p.item_code AS "itemCode",
              item.name AS "itemName", p.memo, p.source_ref AS "sourceRef",
              c.type AS "correctionType", c.reason AS "correctionReason", c.original_posting_id::text AS "originalPostingId",
              d.entry, rd.receipt_no AS "receiptNo", rd.shop_name AS "shopName"
         FROM postings p
         LEFT JOIN LATERAL (
           -- CASE fixes the evaluation order: only a correction's source ref (a correction id) is cast.
           SELECT lc.type, lc.reason, lc.original_posting_id FROM ledger_corrections lc
            WHERE lc.id = CASE WHEN p.kind = 'correction' THEN p.source_ref::uuid END
         ) c ON true
         LEFT JOIN LATERAL (
           SELECT ci.name FROM catalog_items ci
             LEFT JOIN catalog_adoptions ca ON ca.version_id = ci.version_id AND ca.town_id = p.town_id
            WHERE p.item_code IS NOT NULL AND ci.code = p.item_code AND (ci.village_id = p.village_id OR ca.id IS NOT NULL)
            ORDER BY (ci.village_id IS NOT NULL) DESC, ca.effective_from DESC NULLS LAST
            LIMIT 1
         ) item ON true
         LEFT JOIN LATERAL (
           -- A deed's source ref is 'entry:<uuid>'; CASE keeps the cast to deed postings.
           SELECT jsonb_build_object(
                    'occurredOn', to_char(e.occurred_on, 'YYYY-MM-DD'), 'period', e.period, 'reason', e.reason,
                    'evidenceNote', e.evidence_note, 'explanation', coalesce(s.final_explanation, e.explanation),
                    'sign', ci.sign, 'rule', ci.rule, 'caps', ci.caps,
                    'decision', dec.type, 'decisionReason', dec.reason, 'decidedAt', dec.at,
                    'meetingOn', (SELECT to_char(rm.held_on, 'YYYY-MM-DD') FROM review_meetings rm JOIN review_cycles rc ON rc.id = rm.cycle_id
                                   WHERE rc.village_id = e.village_id AND rc.period = e.period ORDER BY rm.recorded_at DESC, rm.id LIMIT 1),
                    'objectionDismissed', EXISTS (SELECT 1 FROM entry_events ob WHERE ob.entry_id = e.id AND ob.type = 'objection_dismissed')
                  ) AS entry
             FROM deed_entries e
             JOIN entry_states s ON s.entry_id = e.id
             JOIN catalog_items ci ON ci.id = e.item_id
             LEFT JOIN LATERAL (
               SELECT ev.type, ev.reason, ev.at FROM entry_events ev
                WHERE ev.entry_id = e.id AND ev.type IN ('approved', 'rejected') ORDER BY ev.id DESC LIMIT 1
             ) dec ON true
            WHERE e.id = CASE WHEN p.kind = 'deed' AND p.source_ref LIKE 'entry:%' THEN substr(p.source_ref, 7)::uuid END
         ) d ON true
         LEFT JOIN LATERAL (
           SELECT r.receipt_no, sh.name AS shop_name FROM redemptions r JOIN shops sh ON sh.id = r.shop_id
            WHERE r.id = CASE WHEN p.kind = 'redemption' AND p.source_ref LIKE 'redemption:%' THEN substr(p.source_ref, 12)::uuid
                              WHEN p.kind = 'redemption_void' AND p.source_ref LIKE 'void:%' THEN substr(p.source_ref, 6)::uuid END
         ) rd ON true
        WHERE p.account_id = $1
        ORDER BY p.seq`,
      [residentId],
    );
  }
}
