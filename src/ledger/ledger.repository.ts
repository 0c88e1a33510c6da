import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { prepared, queryOne, queryRows, type Db } from '@app/database/sql';
import type { GradeThresholds } from '@app/scoring/grade';
import type { LockedAccount, PostingRow } from './ledger.types';

export type { PostingRow };

export const LOCKED_ACCOUNT_COLUMNS = `a.resident_id AS "accountId", a.town_id AS "townId", a.village_id AS "villageId", a.balance,
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

export type { LockedAccount } from './ledger.types';

export interface StoredPosting extends PostingRow {
  id: string;
}

export interface AccountHeadUpdate {
  accountId: string;
  balance: number;
  creditScore: number;
  grade: string;
  seq: number;
  headHash: string;
}

export interface TownSettings {
  id: string;
  baseScore: number;
  gradeThresholds: GradeThresholds | null;
  expireBalanceAtYearEnd: boolean;
}

export const POSTING_COLUMNS = `p.id::text AS id, p.town_id AS "townId", p.village_id AS "villageId", p.account_id AS "accountId", p.seq, p.kind,
  p.points, p.source_ref AS "sourceRef", p.counterparty, p.period, p.item_code AS "itemCode", p.memo, p.posted_at AS "postedAt",
  p.prev_hash AS "prevHash", p.hash`;

/**
 * The posting core's SQL: accounts (open, lock, heads), postings (append, exactly once), towns,
 * regrade. Methods taking `m` run inside the caller's transaction. The other jobs of the ledger
 * have their own: corrections.repository.ts, year-end.repository.ts, statement.repository.ts,
 * verification.repository.ts (and chain.repository.ts for the verifier's cursor reads).
 */
@Injectable()
export class LedgerRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The ledger's one transaction helper: `work` runs in `outer`'s transaction when that one is
   * open (a caller's own writes then commit or roll back with the postings), else in a new one
   * (READ COMMITTED, the default, which postBatch's locking relies on).
   */
  transaction<T>(work: (m: EntityManager) => Promise<T>, outer?: EntityManager): Promise<T> {
    if (outer?.queryRunner?.isTransactionActive) return work(outer);
    return (outer ?? this.db.manager).transaction(work);
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
    // The accounts index alone first: at a month end every account exists, and this answers
    // with nothing after one look-up per id; only the missing ones join residents and towns.
    const missing = await queryRows<Omit<NewAccountSource, 'ratingYear'>>(
      m,
      `WITH ids AS MATERIALIZED (
         SELECT ids.id FROM unnest($1::uuid[]) AS ids(id)
          WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.resident_id = ids.id))
       SELECT r.id AS "residentId", r.town_id AS "townId", r.village_id AS "villageId", t.base_score AS "baseScore",
              t.grade_thresholds AS "gradeThresholds"
         FROM ids
         JOIN residents r ON r.id = ids.id
         JOIN towns t ON t.id = r.town_id`,
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

  // ---- towns -----------------------------------------------------------------------------

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

  // ---- grade table change ------------------------------------------------------------------

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
}
