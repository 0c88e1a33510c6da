import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryOne, queryRows } from '@app/database/sql';

/** The backlogs a scrape reports (read-only; the tables belong to credit-export and notices). */
@Injectable()
export class MetricsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Outbox rows still to send or given up on, and the age of the oldest pending one (seconds). */
  outboxBacklog(): Promise<{ pending: number; failed: number; oldest: number | null } | null> {
    return queryOne(
      this.db,
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'failed')::int AS failed,
              extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))::float8 AS oldest
       FROM credit_outbox WHERE status <> 'sent'`,
    );
  }

  /** Notices whose SMS is pending or failed, by state. */
  noticeSmsBacklog(): Promise<Array<{ state: string; n: number }>> {
    return queryRows(this.db, `SELECT sms_state AS state, count(*)::int AS n FROM notices WHERE sms_state IN ('pending', 'failed') GROUP BY sms_state`);
  }
}
