import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { sqlJsonInstant } from '@app/common/time';
import { queryRows } from '@app/database/sql';

/** What the outbox keeps of a posting (PostedPosting has these). */
export interface OutboxPosting {
  id: string;
  townId: string;
  villageId: string;
  period: string;
}

export interface PendingExportRow {
  id: string;
  payload: Record<string, unknown>;
}

export interface ExportStatusRow {
  status: string;
  n: number;
  oldest: Date | null;
  lastError: string | null;
}

export interface ExportMonthRow {
  period: string;
  pending: number;
  sent: number;
  failed: number;
  lastSentAt: Date | null;
  lastError: string | null;
}

export interface FailedExportRow {
  id: string;
  postingId: string;
  period: string;
  villageId: string;
  villageName: string;
  residentName: string;
  itemCode: string | null;
  itemName: string | null;
  points: number;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
}

/**
 * All SQL of the credit-platform outbox (`credit_outbox`), whose one writer is this feature:
 * finalize enqueues through CreditExportService.enqueuePostings, the sender marks rows sent or
 * failed, a town admin requeues the failed ones; and the reads of the 信用报送 page.
 */
@Injectable()
export class CreditExportRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Opens a transaction (the requeue and its audit row commit together). */
  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * One narrow outbox row per posting (its village and period beside it, for the backlog
   * counts), in the caller's transaction (finalize's), so the rows commit with the postings; a
   * posting already in the outbox is left as it is. Nothing is read: the postings are the
   * caller's, just written (building the record as jsonb here was 5.1 of 38 PG s of a
   * month-end finalize; it is built when it is sent, pendingBatch).
   */
  async enqueuePostings(m: EntityManager, postings: OutboxPosting[]): Promise<void> {
    if (!postings.length) return;
    await m.query(
      `INSERT INTO credit_outbox (town_id, posting_id, village_id, period)
       SELECT t.town_id, t.id, t.village_id, t.period
         FROM unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::text[]) AS t(town_id, id, village_id, period)
       ON CONFLICT (posting_id, town_id) DO NOTHING`,
      [postings.map((p) => p.townId), postings.map((p) => p.id), postings.map((p) => p.villageId), postings.map((p) => p.period)],
    );
  }

  /**
   * The next `limit` pending rows (of one town, or of all), oldest first, each with the record
   * the platform gets, built from its posting: the fields, formats and key order the stored
   * jsonb payload had (jsonb orders keys by length; postedAt as ISO UTC with milliseconds, like
   * JSON.stringify of a Date). Postings are append-only, so a record is the same on every send.
   */
  pendingBatch(limit: number, townId?: string): Promise<PendingExportRow[]> {
    return queryRows<PendingExportRow>(
      this.db,
      `SELECT o.id::text,
              jsonb_build_object('postingId', p.id::text, 'residentId', p.account_id, 'villageId', p.village_id, 'period', p.period,
                                 'itemCode', p.item_code, 'itemName', p.memo, 'points', p.points,
                                 'postedAt', ${sqlJsonInstant('p.posted_at')}, 'hash', p.hash) AS payload
         FROM (SELECT id, town_id, posting_id FROM credit_outbox WHERE status = 'pending' ${townId ? 'AND town_id = $2' : ''} ORDER BY id LIMIT $1) o
         JOIN postings p ON p.id = o.posting_id AND p.town_id = o.town_id
        ORDER BY o.id`,
      townId ? [limit, townId] : [limit],
    );
  }

  /** The platform accepted these rows. */
  async markSent(ids: string[]): Promise<void> {
    await this.db.query(`UPDATE credit_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /**
   * One more failed attempt at these rows, failed for good at `maxAttempts`. Only rows still
   * pending: an export running beside this one may have sent them meanwhile.
   */
  async recordFailedAttempt(ids: string[], message: string, maxAttempts: number): Promise<void> {
    await this.db.query(
      `UPDATE credit_outbox SET attempts = attempts + 1, last_error = $2, status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'pending' END
        WHERE id = ANY($1::bigint[]) AND status = 'pending'`,
      [ids, message, maxAttempts],
    );
  }

  /** The town's failed rows back to pending with a fresh count of attempts; how many. */
  async requeueFailed(m: EntityManager, townId: string): Promise<number> {
    const rows = await queryRows<{ id: string }>(
      m,
      `UPDATE credit_outbox SET status = 'pending', attempts = 0 WHERE town_id = $1 AND status = 'failed' RETURNING id::text`,
      [townId],
    );
    return rows.length;
  }

  /** Rows per status of the town (all periods), the oldest row's time and the newest error. */
  statusCounts(townId: string): Promise<ExportStatusRow[]> {
    return this.db.query(
      `SELECT status, count(*)::int AS n, min(created_at) AS oldest, (array_agg(last_error ORDER BY id DESC) FILTER (WHERE last_error IS NOT NULL))[1] AS "lastError"
       FROM credit_outbox WHERE town_id = $1 GROUP BY status ORDER BY status`,
      [townId],
    );
  }

  /** Per period of the posted deeds (newest first): how many rows are waiting, sent, failed. */
  statusByPeriod(townId: string, fromPeriod: string): Promise<ExportMonthRow[]> {
    return queryRows<ExportMonthRow>(
      this.db,
      `SELECT period,
              count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'sent')::int AS sent,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              max(sent_at) AS "lastSentAt",
              (array_agg(last_error ORDER BY id DESC) FILTER (WHERE last_error IS NOT NULL AND status <> 'sent'))[1] AS "lastError"
         FROM credit_outbox
        WHERE town_id = $1 AND period >= $2
        GROUP BY 1
        ORDER BY 1 DESC`,
      [townId, fromPeriod],
    );
  }

  /** The town's failed rows (oldest first) with what the platform answered to the last attempt. */
  failedRows(townId: string, limit: number, period?: string): Promise<FailedExportRow[]> {
    return queryRows<FailedExportRow>(
      this.db,
      `SELECT o.id::text AS id, o.posting_id::text AS "postingId", o.period,
              v.id AS "villageId", v.name AS "villageName", r.name AS "residentName",
              p.item_code AS "itemCode", p.memo AS "itemName", p.points,
              o.attempts, o.last_error AS "lastError", o.created_at AS "createdAt"
         FROM credit_outbox o
         JOIN postings p ON p.id = o.posting_id AND p.town_id = o.town_id
         JOIN villages v ON v.id = o.village_id
         JOIN residents r ON r.id = p.account_id
        WHERE o.status = 'failed' AND o.town_id = $1 AND ($3::text IS NULL OR o.period = $3)
        ORDER BY o.id
        LIMIT $2`,
      [townId, limit, period ?? null],
    );
  }
}
