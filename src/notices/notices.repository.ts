import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { prepared, queryOne, queryRows, type Db } from '@app/database/sql';
import type { SkipReason, SmsState } from './notice.entity';
import { INSERT_COLUMNS, SKIP_REASON, SMS_STATE, redemptionNoticeInsert } from './notice-sql';
import type { NoticeKind } from './templates';

/** A redemption written in steps (the locking path, src/shop/redemption.service.ts): one prepared statement. */
const INSERT_REDEMPTION = prepared(redemptionNoticeInsert({ residentId: '$1', redemptionId: '$2', shopName: '$3', points: '$4', balance: '$5', receiptNo: '$6' }));

export interface ClaimedNotice {
  id: string;
  kind: NoticeKind;
  data: Record<string, unknown>;
  attempts: number;
  phone: string | null;
  smsConsent: boolean;
  residentStatus: string;
}

export interface NoticeListRow {
  id: string;
  kind: NoticeKind;
  data: Record<string, unknown>;
  smsState: SmsState;
  skipReason: SkipReason | null;
  sentAt: Date | null;
  createdAt: Date;
}

export interface FailedNoticeRow {
  id: string;
  residentId: string;
  residentName: string;
  villageId: string;
  villageName: string;
  kind: NoticeKind;
  data: Record<string, unknown>;
  attempts: number;
  lastError: string | null;
  lastAttemptAt: Date | null;
  createdAt: Date;
}

/** All SQL of the notices: recording (in the cause's transaction), delivery, status, the resident's list. */
@Injectable()
export class NoticesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Runs `work` in one transaction (the feature's only way to open one). */
  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  // ---- recording: every method runs in the caller's transaction and is set-based ------------

  /** The approved breach entries (sign −1, warnings included) of a cycle just published. */
  async insertBreachesPublished(m: EntityManager, cycleId: string): Promise<number> {
    const rows = await queryRows(
      m,
      `${INSERT_COLUMNS}
       SELECT e.town_id, e.village_id, e.resident_id, 'breach_published', 'breach:' || e.id,
              jsonb_build_object('itemName', i.name, 'points', COALESCE(s.final_points, e.points), 'period', c.period, 'entryId', e.id,
                                 'windowEndsAt', to_char(c.window_ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
              ${SMS_STATE}, ${SKIP_REASON}
         FROM review_cycles c
         JOIN entry_states s ON s.village_id = c.village_id AND s.period = c.period AND s.status = 'approved'
         JOIN deed_entries e ON e.id = s.entry_id
         JOIN catalog_items i ON i.id = e.item_id AND i.sign = -1
         JOIN residents r ON r.id = e.resident_id
        WHERE c.id = $1
       ON CONFLICT (source_key, town_id) DO NOTHING
       RETURNING 1`,
      [cycleId],
    );
    return rows.length;
  }

  /**
   * Notices computed by the caller from a posting batch (points per resident, grades that moved),
   * inserted in one statement whatever their number (a finalize posts thousands), in the order
   * given (their ids order the resident's page). The rows come as ONE `json` parameter, checked
   * on the way in and split by json_to_recordset: four array parameters, one a jsonb[] of a
   * thousand documents, cost PostgreSQL more to take apart (issue 19, docs/PERFORMANCE.md "rows per posting").
   */
  async insertMany(m: EntityManager, rows: Array<{ residentId: string; kind: NoticeKind; sourceKey: string; data: Record<string, unknown> }>): Promise<number> {
    if (!rows.length) return 0;
    const inserted = await queryRows(
      m,
      `${INSERT_COLUMNS}
       SELECT r.town_id, r.village_id, r.id, n.kind, n."sourceKey", n.data, ${SMS_STATE}, ${SKIP_REASON}
         FROM ROWS FROM (json_to_recordset($1::json) AS ("residentId" uuid, kind text, "sourceKey" text, data jsonb)) WITH ORDINALITY AS n
         JOIN residents r ON r.id = n."residentId"
        ORDER BY n.ordinality
       ON CONFLICT (source_key, town_id) DO NOTHING
       RETURNING 1`,
      [JSON.stringify(rows.map((r) => ({ residentId: r.residentId, kind: r.kind, sourceKey: r.sourceKey, data: r.data })))],
    );
    return inserted.length;
  }

  /** The resident whose entry it is hears how the objection to it was answered. */
  async insertObjectionAnswered(m: EntityManager, objectionId: string): Promise<number> {
    const rows = await queryRows(
      m,
      `${INSERT_COLUMNS}
       SELECT o.town_id, o.village_id, e.resident_id, 'objection_answered', 'objection:' || o.id,
              jsonb_build_object('itemName', i.name, 'period', e.period, 'outcome', o.outcome, 'objectionId', o.id),
              ${SMS_STATE}, ${SKIP_REASON}
         FROM objections o JOIN deed_entries e ON e.id = o.entry_id JOIN catalog_items i ON i.id = e.item_id JOIN residents r ON r.id = e.resident_id
        WHERE o.id = $1 AND o.outcome IS NOT NULL
       ON CONFLICT (source_key, town_id) DO NOTHING
       RETURNING 1`,
      [objectionId],
    );
    return rows.length;
  }

  async insertRedemption(m: EntityManager, r: { residentId: string; redemptionId: string; shopName: string; points: number; balance: number; receiptNo: string }): Promise<void> {
    await queryRows(m, INSERT_REDEMPTION, [r.residentId, r.redemptionId, r.shopName, r.points, r.balance, r.receiptNo]);
  }

  // ---- delivery -----------------------------------------------------------------------------

  /**
   * Takes up to `limit` due notices and leases them until `now + leaseMs` (counting the attempt),
   * skipping rows another run holds. The lease is the crash safety: a run killed before it marks
   * them leaves them pending, due again when the lease lapses.
   */
  async claimDue(now: Date, limit: number, leaseMs: number): Promise<ClaimedNotice[]> {
    return queryRows<ClaimedNotice>(
      this.db,
      `WITH c AS (
         SELECT id FROM notices WHERE sms_state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE notices n
          SET attempts = n.attempts + 1, last_attempt_at = $1, next_attempt_at = $1::timestamptz + make_interval(secs => $3::float8 / 1000)
         FROM c, residents r
        WHERE n.id = c.id AND r.id = n.resident_id
       RETURNING n.id::text, n.kind, n.data, n.attempts, r.phone, r.sms_consent AS "smsConsent", r.status AS "residentStatus"`,
      [now, limit, leaseMs],
    );
  }

  async markSent(ids: string[], now: Date): Promise<void> {
    if (!ids.length) return;
    await this.db.query(`UPDATE notices SET sms_state = 'sent', sent_at = $2, last_error = NULL WHERE id = ANY($1::bigint[]) AND sms_state = 'pending'`, [ids, now]);
  }

  /** Consent withdrawn or phone removed since the notice was recorded: not sent after all. */
  async markSkipped(rows: Array<{ id: string; reason: SkipReason }>): Promise<void> {
    if (!rows.length) return;
    await this.db.query(
      `UPDATE notices n SET sms_state = 'skipped', skip_reason = u.reason FROM unnest($1::bigint[], $2::text[]) AS u(id, reason) WHERE n.id = u.id AND n.sms_state = 'pending'`,
      [rows.map((r) => r.id), rows.map((r) => r.reason)],
    );
  }

  /** A failed attempt: due again at `retryAt`, or `failed` once out of attempts. */
  async markAttemptFailed(rows: Array<{ id: string; retryAt: Date; final: boolean }>, answer: string): Promise<void> {
    if (!rows.length) return;
    await this.db.query(
      `UPDATE notices n SET last_error = $4, next_attempt_at = u.retry_at, sms_state = CASE WHEN u.final THEN 'failed' ELSE 'pending' END
         FROM unnest($1::bigint[], $2::timestamptz[], $3::boolean[]) AS u(id, retry_at, final)
        WHERE n.id = u.id AND n.sms_state = 'pending'`,
      [rows.map((r) => r.id), rows.map((r) => r.retryAt), rows.map((r) => r.final), answer],
    );
  }

  /** When the earliest pending notice is due (a lease or a backoff ending), or null. */
  async nextDueAt(): Promise<Date | null> {
    const row = await queryOne<{ at: Date | null }>(this.db, `SELECT min(next_attempt_at) AS at FROM notices WHERE sms_state = 'pending'`);
    return row?.at ?? null;
  }

  // ---- status and retry (town admin) ---------------------------------------------------------

  /** Notices of a town (or one village) by SMS state and skip reason; `due`: pending ones due by `now`. */
  async stateCounts(townId: string, villageId: string | undefined, now: Date): Promise<{ byState: Array<{ state: SmsState; n: number }>; due: number; skipped: Array<{ reason: SkipReason; n: number }> }> {
    const where = villageId ? 'town_id = $1 AND village_id = $2' : 'town_id = $1';
    const params = villageId ? [townId, villageId] : [townId];
    const [byState, due, skipped] = await Promise.all([
      queryRows<{ state: SmsState; n: number }>(this.db, `SELECT sms_state AS state, count(*)::int AS n FROM notices WHERE ${where} GROUP BY sms_state`, params),
      queryOne<{ n: number }>(this.db, `SELECT count(*)::int AS n FROM notices WHERE ${where} AND sms_state = 'pending' AND next_attempt_at <= $${params.length + 1}`, [...params, now]),
      queryRows<{ reason: SkipReason; n: number }>(this.db, `SELECT skip_reason AS reason, count(*)::int AS n FROM notices WHERE ${where} AND sms_state = 'skipped' GROUP BY skip_reason`, params),
    ]);
    return { byState, due: due?.n ?? 0, skipped };
  }

  async failedNotices(townId: string, villageId: string | undefined, limit: number): Promise<FailedNoticeRow[]> {
    const params: unknown[] = [townId, limit];
    const village = villageId ? `AND n.village_id = $${params.push(villageId)}` : '';
    return queryRows<FailedNoticeRow>(
      this.db,
      `SELECT n.id::text, n.resident_id AS "residentId", r.name AS "residentName", n.village_id AS "villageId", v.name AS "villageName", n.kind, n.data,
              n.attempts, n.last_error AS "lastError", n.last_attempt_at AS "lastAttemptAt", n.created_at AS "createdAt"
         FROM notices n JOIN residents r ON r.id = n.resident_id JOIN villages v ON v.id = n.village_id
        WHERE n.town_id = $1 AND n.sms_state = 'failed' ${village}
        ORDER BY n.id DESC LIMIT $2`,
      params,
    );
  }

  async lockForRetry(m: EntityManager, townId: string, ids: string[]): Promise<Array<{ id: string; smsState: SmsState }>> {
    return queryRows(m, `SELECT n.id::text AS id, n.sms_state AS "smsState" FROM notices n WHERE n.town_id = $1 AND n.id = ANY($2::bigint[]) ORDER BY n.id FOR UPDATE`, [townId, ids]);
  }

  /** Failed notices (all of the town's, or those named) back to pending with fresh attempts, due now. */
  async requeueFailed(m: EntityManager, townId: string, ids: string[] | null): Promise<number> {
    const rows = await queryRows(
      m,
      `UPDATE notices SET sms_state = 'pending', attempts = 0, next_attempt_at = now()
        WHERE town_id = $1 AND sms_state = 'failed' ${ids ? 'AND id = ANY($2::bigint[])' : ''} RETURNING 1`,
      ids ? [townId, ids] : [townId],
    );
    return rows.length;
  }

  // ---- the resident ----------------------------------------------------------------------------

  async listForResident(residentId: string, limit: number, beforeId?: string): Promise<NoticeListRow[]> {
    return queryRows<NoticeListRow>(
      this.db,
      // n.id, not the text column of the same name: "9" sorts after "20".
      `SELECT n.id::text AS id, n.kind, n.data, n.sms_state AS "smsState", n.skip_reason AS "skipReason", n.sent_at AS "sentAt", n.created_at AS "createdAt"
         FROM notices n WHERE n.resident_id = $1 ${beforeId ? 'AND n.id < $3::bigint' : ''} ORDER BY n.id DESC LIMIT $2`,
      beforeId ? [residentId, limit, beforeId] : [residentId, limit],
    );
  }

  async findResident(id: string, db: Db = this.db): Promise<{ id: string; townId: string; villageId: string; phone: string | null; smsConsent: boolean } | null> {
    return queryOne(db, `SELECT id, town_id AS "townId", village_id AS "villageId", phone, sms_consent AS "smsConsent" FROM residents WHERE id = $1`, [id]);
  }

  async setConsent(m: EntityManager, residentId: string, consent: boolean): Promise<void> {
    await m.query(`UPDATE residents SET sms_consent = $2 WHERE id = $1`, [residentId, consent]);
  }
}
