import { Injectable, Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { periodOf, previousPeriod } from '@app/common/time';
import { AppConfig } from '@app/config/app-config';
import { requireTransaction } from '@app/database/sql';
import { JobHandler } from '@app/queue/job-handler.decorator';
import { jobIds } from '@app/queue/job-ids';
import { JobQueue } from '@app/queue/job-queue.service';
import type { JobPayloads } from '@app/queue/jobs';
import { EXPORT_STATUS_MONTHS } from './credit-export.dto';
import { CreditExportRepository, type ExportMonthRow, type ExportStatusRow, type FailedExportRow, type OutboxPosting } from './credit-export.repository';

/** Rows per HTTP batch, and how long the platform gets to answer. */
export const EXPORT_BATCH_SIZE = 500;
export const EXPORT_TIMEOUT_MS = 10_000;
/** After this many failed attempts a row is marked failed (visible to auditors) until a town admin retries it (POST /credit-export/retry). */
export const EXPORT_MAX_ATTEMPTS = 10;

export interface ExportRunResult {
  sent: number;
  failed: number;
  skipped: 'no-endpoint' | null;
}

/** HMAC-SHA256 over the exact body bytes, hex: what the platform checks. */
export function signBody(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/** What the town admin sees on a failed row: the status and the start of what the platform said. */
export const ANSWER_CHARS = 300;
async function platformAnswer(res: Response): Promise<string> {
  const body = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, ANSWER_CHARS);
  return body ? `platform answered ${res.status}: ${body}` : `platform answered ${res.status}`;
}

/** The first month of the per-month status when the page asks for none: EXPORT_STATUS_MONTHS back. */
function defaultFrom(now: Date): string {
  let p = periodOf(now);
  for (let i = 1; i < EXPORT_STATUS_MONTHS; i++) p = previousPeriod(p);
  return p;
}

/**
 * Sends posted deeds to the public credit information platform from the outbox: at-least-once,
 * each row carrying its posting id as the idempotency key, so the platform can drop a repeat
 * sent after a crash between its 2xx and our "sent" mark.
 */
@Injectable()
export class CreditExportService {
  private readonly logger = new Logger(CreditExportService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
    private readonly repo: CreditExportRepository,
  ) {}

  /**
   * Puts these postings in the outbox for the platform, in the caller's transaction (finalize:
   * the rows commit with the postings, so none is posted without its export or exported unposted).
   * One statement for all of them; a posting already enqueued is not enqueued again. The record
   * the platform gets is built from the posting when it is sent.
   */
  enqueuePostings(m: EntityManager, postings: OutboxPosting[]): Promise<void> {
    return this.repo.enqueuePostings(requireTransaction(m, 'a credit-export outbox row'), postings);
  }

  @JobHandler('credit.export')
  async handleExport(payload: JobPayloads['credit.export']): Promise<ExportRunResult> {
    const result = await this.exportPending(payload.townId);
    // A failed batch fails the job, so BullMQ retries it with the export backoff.
    if (result.failed > 0) throw new Error(`credit export: ${result.failed} rows not accepted`);
    return result;
  }

  async exportPending(townId?: string): Promise<ExportRunResult> {
    const url = this.config.get('CREDIT_EXPORT_URL');
    if (!url) return { sent: 0, failed: 0, skipped: 'no-endpoint' };
    let sent = 0;
    let failed = 0;
    for (;;) {
      const rows = await this.repo.pendingBatch(EXPORT_BATCH_SIZE, townId);
      if (!rows.length) break;
      const body = JSON.stringify({ source: 'xinyi-ledger', sentAt: new Date().toISOString(), records: rows.map((r) => ({ outboxId: r.id, ...r.payload })) });
      const ids = rows.map((r) => r.id);
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-xinyi-signature': `sha256=${signBody(body, this.config.get('CREDIT_EXPORT_SECRET'))}` },
          body,
          signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
        });
        if (!res.ok) throw new Error(await platformAnswer(res));
        await this.repo.markSent(ids);
        sent += rows.length;
      } catch (err) {
        const message = (err as Error).message.slice(0, 500);
        await this.repo.recordFailedAttempt(ids, message, EXPORT_MAX_ATTEMPTS);
        this.logger.warn({ rows: rows.length, err: message }, 'credit export batch failed');
        failed += rows.length;
        break;
      }
    }
    return { sent, failed, skipped: null };
  }

  /**
   * A town admin puts the town's failed rows back in the queue (after the platform's outage is
   * over), with a fresh count of attempts, and asks for an export now. Audited.
   */
  async retryFailed(ctx: RequestContext): Promise<{ requeued: number; queued: boolean }> {
    const townId = ctx.principal.townId;
    const requeued = await this.repo.transaction(async (m) => {
      const n = await this.repo.requeueFailed(m, townId);
      await this.audit.record(ctx, { action: 'credit_export.retry', targetType: 'town', targetId: townId, summary: { requeued: n } }, m);
      return n;
    });
    const job = requeued ? await this.jobs.enqueue('credit.export', { townId }, { jobId: jobIds.townExport(townId) }) : null;
    return { requeued, queued: job !== null };
  }

  status(townId: string): Promise<ExportStatusRow[]> {
    return this.repo.statusCounts(townId);
  }

  /** Per month of the town's posted deeds, from `from` (default: the last 12 months). */
  months(townId: string, from?: string, now = new Date()): Promise<ExportMonthRow[]> {
    return this.repo.statusByPeriod(townId, from ?? defaultFrom(now));
  }

  failedRows(townId: string, limit: number, period?: string): Promise<FailedExportRow[]> {
    return this.repo.failedRows(townId, limit, period);
  }
}
