import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryOne, queryRows, type Queryable } from '@app/database/sql';
import type { PostingKind } from '@app/ledger/ledger.entities';
import type { CycleState } from '@app/review/review.entities';
import { DEFAULT_CLOSE_DAY } from '@app/review/schedule';
import { cursorAtSql, type KeysetPosition } from '@app/common/http/keyset-cursor';

/** Above this many periods a range is dense enough that one newest-first scan is cheaper. */
const MAX_PERIODS_ONE_BY_ONE = 120;

export interface PostingFilter {
  townId: string;
  residentId?: string;
  villageId?: string;
  itemCode?: string;
  kind?: PostingKind;
  periodFrom?: string;
  periodTo?: string;
  /** Inclusive lower bound on posted_at (ISO 8601). */
  postedFrom?: string;
  /** Exclusive upper bound on posted_at (ISO 8601). */
  postedTo?: string;
}

export interface PostingRow {
  id: string;
  postedAt: Date;
  period: string;
  kind: PostingKind;
  points: number;
  villageId: string;
  villageName: string;
  residentId: string;
  residentName: string;
  seq: number;
  itemCode: string | null;
  memo: string | null;
  sourceRef: string;
  counterparty: string;
  hash: string;
  /** Keyset position (posted_at as text, microseconds); stripped before answering. */
  cursorAt: string;
}

export interface TimelinessRow {
  villageId: string;
  villageCode: string;
  villageName: string;
  cycleId: string | null;
  state: CycleState | null;
  closedAt: Date | null;
  reviewedAt: Date | null;
  publishedAt: Date | null;
  windowEndsAt: Date | null;
  finalizedAt: Date | null;
  reopenCount: number;
  objections: number;
  answeredLate: number;
  openOverdue: number;
  exportPending: number;
  exportFailed: number;
  exportLastError: string | null;
}

export interface CheckpointListFilter {
  townId: string;
  villageId?: string;
  periodFrom?: string;
  periodTo?: string;
}

export interface CheckpointListRow {
  cycleId: string;
  villageId: string;
  villageCode: string;
  villageName: string;
  period: string;
  hash: string;
  accounts: number;
  createdAt: Date;
  publishedAt: Date | null;
}

export interface AccountNameRow {
  residentId: string;
  residentName: string;
  cardCode: string;
  villageId: string;
  villageName: string;
}

/**
 * All SQL of the auditors' desk. Postings are read newest first by keyset on (posted_at, id):
 * each filter has an index whose trailing columns are (posted_at, id) (migration
 * AuditorIndexes, docs/QUERIES.md), so a page is an index range scan however deep it is.
 */
@Injectable()
export class AuditorRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** `db`: the primary, or the read replica (ReadReplica). */
  async searchPostings(f: PostingFilter, after: KeysetPosition | null, limit: number, db: Queryable = this.db): Promise<PostingRow[]> {
    const params: unknown[] = [f.townId];
    const where = ['p.town_id = $1'];
    const add = (sql: (n: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (f.residentId) add((n) => `p.account_id = ${n}::uuid`, f.residentId);
    if (f.villageId) add((n) => `p.village_id = ${n}::uuid`, f.villageId);
    if (f.itemCode) add((n) => `p.item_code = ${n}`, f.itemCode);
    if (f.kind) add((n) => `p.kind = ${n}`, f.kind);
    if (f.postedFrom) add((n) => `p.posted_at >= ${n}::timestamptz`, f.postedFrom);
    if (f.postedTo) add((n) => `p.posted_at < ${n}::timestamptz`, f.postedTo);
    if (after) {
      params.push(after.at, after.id);
      where.push(`(p.posted_at, p.id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
    }
    // A period range over the whole town (no narrower filter) is read period by period: one
    // ordered index scan per period, each stopping at `limit`, merged. Scanning the town newest
    // first and skipping other periods would read most of the ledger for a range in the past.
    const periods = (f.periodFrom || f.periodTo) && !f.residentId && !f.villageId && !f.itemCode ? await this.periodsOfTown(f.townId, f.periodFrom, f.periodTo) : null;
    if (!periods) {
      if (f.periodFrom) add((n) => `p.period >= ${n}`, f.periodFrom);
      if (f.periodTo) add((n) => `p.period <= ${n}`, f.periodTo);
    }
    params.push(limit);
    const lim = `$${params.length}`;
    const cols = `p.id, p.posted_at, p.period, p.kind, p.points, p.village_id, p.account_id, p.seq, p.item_code, p.memo, p.source_ref, p.counterparty, p.hash`;
    let scan: string;
    if (periods) {
      params.push(periods);
      scan = `SELECT x.* FROM unnest($${params.length}::text[]) AS per(period)
         CROSS JOIN LATERAL (
           SELECT ${cols} FROM postings p WHERE ${where.join(' AND ')} AND p.period = per.period
           ORDER BY p.posted_at DESC, p.id DESC LIMIT ${lim}
         ) x
         ORDER BY x.posted_at DESC, x.id DESC LIMIT ${lim}`;
    } else {
      scan = `SELECT ${cols} FROM postings p WHERE ${where.join(' AND ')} ORDER BY p.posted_at DESC, p.id DESC LIMIT ${lim}`;
    }
    // The page is cut first (index order + LIMIT), then joined for names: the joins never change
    // the plan of the scan that matters.
    return queryRows<PostingRow>(
      db,
      `WITH page AS MATERIALIZED (${scan})
       SELECT page.id::text AS id, page.posted_at AS "postedAt", page.period, page.kind, page.points,
              page.village_id AS "villageId", v.name AS "villageName", page.account_id AS "residentId", r.name AS "residentName",
              page.seq, page.item_code AS "itemCode", page.memo, page.source_ref AS "sourceRef", page.counterparty, page.hash,
              ${cursorAtSql('page.posted_at')} AS "cursorAt"
       FROM page
       JOIN villages v ON v.id = page.village_id
       JOIN residents r ON r.id = page.account_id
       ORDER BY page.posted_at DESC, page.id DESC`,
      params,
    );
  }

  /**
   * The periods of [from, to] that can hold postings of the town (clipped to the town's first and
   * last posting period), or null when there are too many to read one by one.
   */
  private async periodsOfTown(townId: string, from: string | undefined, to: string | undefined): Promise<string[] | null> {
    const bounds = await queryOne<{ first: string | null; last: string | null }>(
      this.db,
      `SELECT (SELECT period FROM postings WHERE town_id = $1 ORDER BY period LIMIT 1) AS first,
              (SELECT period FROM postings WHERE town_id = $1 ORDER BY period DESC LIMIT 1) AS last`,
      [townId],
    );
    if (!bounds?.first || !bounds.last) return [];
    const start = from && from > bounds.first ? from : bounds.first;
    const end = to && to < bounds.last ? to : bounds.last;
    const out: string[] = [];
    let [y, m] = start.split('-').map(Number);
    for (let p = start; p <= end; ) {
      out.push(p);
      if (out.length > MAX_PERIODS_ONE_BY_ONE) return null;
      m += 1;
      if (m > 12) [y, m] = [y + 1, 1];
      p = `${y}-${String(m).padStart(2, '0')}`;
    }
    return out;
  }

  findResidentTown(residentId: string): Promise<{ id: string; townId: string; villageId: string } | null> {
    return queryOne(this.db, `SELECT id, town_id AS "townId", village_id AS "villageId" FROM residents WHERE id = $1`, [residentId]);
  }

  /** The town's close day (towns.close_day): the deadlines and late flags follow it. */
  async townCloseDay(townId: string): Promise<number> {
    const row = await queryOne<{ closeDay: number }>(this.db, `SELECT close_day AS "closeDay" FROM towns WHERE id = $1`, [townId]);
    return row?.closeDay ?? DEFAULT_CLOSE_DAY;
  }

  /** Per village of the town: the cycle's timestamps, reopenings, objection timeliness, export status. */
  timeliness(townId: string, period: string): Promise<TimelinessRow[]> {
    return queryRows<TimelinessRow>(
      this.db,
      `SELECT v.id AS "villageId", v.code AS "villageCode", v.name AS "villageName", c.id AS "cycleId", c.state,
              c.closed_at AS "closedAt", c.reviewed_at AS "reviewedAt", c.published_at AS "publishedAt",
              c.window_ends_at AS "windowEndsAt", c.finalized_at AS "finalizedAt",
              COALESCE(ev.reopened, 0)::int AS "reopenCount",
              COALESCE(o.total, 0)::int AS objections, COALESCE(o.late, 0)::int AS "answeredLate", COALESCE(o.overdue, 0)::int AS "openOverdue",
              COALESCE(x.pending, 0)::int AS "exportPending", COALESCE(x.failed, 0)::int AS "exportFailed", x.last_error AS "exportLastError"
       FROM villages v
       LEFT JOIN review_cycles c ON c.village_id = v.id AND c.period = $2
       LEFT JOIN LATERAL (
         SELECT count(*) AS reopened FROM cycle_events e WHERE e.cycle_id = c.id AND e.to_state = 'open' AND e.from_state IS NOT NULL
       ) ev ON true
       LEFT JOIN LATERAL (
         SELECT count(*) AS total,
                count(*) FILTER (WHERE answered_at > due_at) AS late,
                count(*) FILTER (WHERE answered_at IS NULL AND due_at < now()) AS overdue
         FROM objections WHERE cycle_id = c.id
       ) o ON true
       LEFT JOIN LATERAL (
         SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
                count(*) FILTER (WHERE status = 'failed') AS failed,
                (array_agg(last_error ORDER BY id DESC) FILTER (WHERE last_error IS NOT NULL AND status <> 'sent'))[1] AS last_error
         FROM credit_outbox
         WHERE town_id = $1 AND period = $2 AND village_id = v.id AND status <> 'sent'
       ) x ON true
       WHERE v.town_id = $1
       ORDER BY v.code, v.id`,
      [townId, period],
    );
  }



  /** The town's checkpoints (one per finalized village-period), newest period first. */
  listCheckpointsOfTown(f: CheckpointListFilter): Promise<CheckpointListRow[]> {
    return queryRows<CheckpointListRow>(
      this.db,
      `SELECT cc.cycle_id AS "cycleId", cc.village_id AS "villageId", v.code AS "villageCode", v.name AS "villageName", cc.period,
              cc.hash, jsonb_array_length(cc.heads)::int AS accounts, cc.created_at AS "createdAt", c.published_at AS "publishedAt"
       FROM cycle_checkpoints cc
       JOIN villages v ON v.id = cc.village_id
       LEFT JOIN review_cycles c ON c.id = cc.cycle_id
       WHERE cc.town_id = $1 AND ($2::uuid IS NULL OR cc.village_id = $2) AND ($3::text IS NULL OR cc.period >= $3) AND ($4::text IS NULL OR cc.period <= $4)
       ORDER BY cc.period DESC, v.code, v.id`,
      [f.townId, f.villageId ?? null, f.periodFrom ?? null, f.periodTo ?? null],
    );
  }

  /** Who owns these accounts (an account is keyed by its resident), within the town. */
  accountNames(townId: string, accountIds: string[]): Promise<AccountNameRow[]> {
    if (accountIds.length === 0) return Promise.resolve([]);
    return queryRows<AccountNameRow>(
      this.db,
      `SELECT r.id AS "residentId", r.name AS "residentName", r.card_code AS "cardCode", r.village_id AS "villageId", v.name AS "villageName"
       FROM residents r JOIN villages v ON v.id = r.village_id
       WHERE r.town_id = $1 AND r.id = ANY($2::uuid[])
       ORDER BY r.id`,
      [townId, accountIds],
    );
  }

  /** Village names of the town by id (for a checkpoint problem that names no account). */
  villageNames(townId: string): Promise<Array<{ id: string; name: string }>> {
    return queryRows(this.db, `SELECT id, name FROM villages WHERE town_id = $1`, [townId]);
  }
}
