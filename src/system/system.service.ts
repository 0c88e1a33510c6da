import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { randomUUID } from 'node:crypto';
import { JobHandler } from '@app/queue/job-handler.decorator';
import { jobIds } from '@app/queue/job-ids';
import { JobQueue } from '@app/queue/job-queue.service';
import type { JobPayloads } from '@app/queue/jobs';
import { hostname } from 'node:os';
import type { HeartbeatEnqueuedDto, HeartbeatStatusDto } from './system.dto';
import { SystemRepository } from './system.repository';

/** End-to-end liveness of the api → Redis → worker → PostgreSQL path. */
@Injectable()
export class SystemService {
  constructor(
    private readonly repo: SystemRepository,
    private readonly jobs: JobQueue,
    private readonly audit: AuditService,
  ) {}

  async requestHeartbeat(ctx: RequestContext): Promise<HeartbeatEnqueuedDto> {
    const jobId = jobIds.heartbeat(randomUUID());
    const job = await this.jobs.enqueue('system.heartbeat', { requestedAt: new Date().toISOString() }, { jobId });
    await this.audit.record(ctx, { action: 'system.heartbeat', targetType: 'job', targetId: jobId, summary: { queued: job !== null } });
    return { jobId, queued: job !== null };
  }

  /** Audited: the dashboard shows every town's jobs, so who opened it is worth a row. */
  async openQueueDashboard(ctx: RequestContext, expiresAt: Date): Promise<void> {
    await this.audit.record(ctx, { action: 'system.queue_dashboard_open', targetType: 'queue_dashboard', summary: { expiresAt: expiresAt.toISOString() } });
  }

  async heartbeatStatus(jobId: string): Promise<HeartbeatStatusDto> {
    const row = await this.repo.findHeartbeat(jobId);
    return row ? { jobId, processed: true, worker: row.worker, processedAt: row.processedAt } : { jobId, processed: false };
  }

  @JobHandler('system.heartbeat')
  async handleHeartbeat(_payload: JobPayloads['system.heartbeat'], job: { id?: string }): Promise<void> {
    await this.repo.recordHeartbeat(String(job.id), `${hostname()}:${process.pid}`);
  }
}
