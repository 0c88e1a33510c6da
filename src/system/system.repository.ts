import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface HeartbeatRow {
  jobId: string;
  worker: string;
  processedAt: Date;
}

@Injectable()
export class SystemRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Idempotent: a retried heartbeat job records once. */
  async recordHeartbeat(jobId: string, worker: string): Promise<void> {
    await this.db.query(
      `INSERT INTO system_heartbeats (job_id, worker) VALUES ($1, $2) ON CONFLICT (job_id) DO NOTHING`,
      [jobId, worker],
    );
  }

  async findHeartbeat(jobId: string): Promise<HeartbeatRow | null> {
    const rows: HeartbeatRow[] = await this.db.query(
      `SELECT job_id AS "jobId", worker, processed_at AS "processedAt" FROM system_heartbeats WHERE job_id = $1`,
      [jobId],
    );
    return rows[0] ?? null;
  }
}
