import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '@app/database/sql';

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
   * The export payload of each posting, built in SQL from the posting row itself: passing 2,000
   * JSON payloads as a jsonb[] parameter cost PostgreSQL more to parse than to store them
   * (2.7 s of a month-end finalize). Same fields and formats as before (postedAt as ISO UTC with
   * milliseconds, like JSON.stringify of a Date). In the caller's transaction (finalize's), so
   * the rows commit with the postings; a posting already in the outbox is left as it is.
   */
  async enqueuePostings(m: EntityManager, postingIds: string[]): Promise<void> {
    if (!postingIds.length) return;
    await m.query(
      `INSERT INTO credit_outbox (town_id, posting_id, payload)
       SELECT p.town_id, p.id,
              jsonb_build_object('postingId', p.id::text, 'residentId', p.account_id, 'villageId', p.village_id, 'period', p.period,
                                 'itemCode', p.item_code, 'itemName', p.memo, 'points', p.points,
                                 'postedAt', to_char(p.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'hash', p.hash)
         FROM unnest($1::bigint[]) AS t(id) JOIN postings p ON p.id = t.id
        ORDER BY p.id
       ON CONFLICT (posting_id, town_id) DO NOTHING`,
      [postingIds],
    );
  }

  /** The next `limit` pending rows (of one town, or of all), oldest first. */
  pendingBatch(limit: number, townId?: string): Promise<PendingExportRow[]> {
    return queryRows<PendingExportRow>(
      this.db,
      `SELECT id::text, payload FROM credit_outbox WHERE status = 'pending' ${townId ? 'AND town_id = $2' : ''} ORDER BY id LIMIT $1`,
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
      `SELECT payload->>'period' AS period,
              count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'sent')::int AS sent,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              max(sent_at) AS "lastSentAt",
              (array_agg(last_error ORDER BY id DESC) FILTER (WHERE last_error IS NOT NULL AND status <> 'sent'))[1] AS "lastError"
         FROM credit_outbox
        WHERE town_id = $1 AND payload->>'period' >= $2
        GROUP BY 1
        ORDER BY 1 DESC`,
      [townId, fromPeriod],
    );
  }

  /** The town's failed rows (oldest first) with what the platform answered to the last attempt. */
  failedRows(townId: string, limit: number, period?: string): Promise<FailedExportRow[]> {
    return queryRows<FailedExportRow>(
      this.db,
      `SELECT o.id::text AS id, o.posting_id::text AS "postingId", o.payload->>'period' AS period,
              v.id AS "villageId", v.name AS "villageName", r.name AS "residentName",
              o.payload->>'itemCode' AS "itemCode", o.payload->>'itemName' AS "itemName", (o.payload->>'points')::int AS points,
              o.attempts, o.last_error AS "lastError", o.created_at AS "createdAt"
         FROM credit_outbox o
         JOIN villages v ON v.id = (o.payload->>'villageId')::uuid
         JOIN residents r ON r.id = (o.payload->>'residentId')::uuid
        WHERE o.status = 'failed' AND o.town_id = $1 AND ($3::text IS NULL OR o.payload->>'period' = $3)
        ORDER BY o.id
        LIMIT $2`,
      [townId, limit, period ?? null],
    );
  }
}
