import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows } from '@app/database/sql';

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

/** Reads of the credit-platform outbox for the town admin's 信用报送 page. */
@Injectable()
export class CreditExportRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

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
