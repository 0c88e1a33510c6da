import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit/audit.service';
import { AppError } from '@app/common/errors/app-error';
import { periodOf } from '@app/common/time';
import { jobIds } from '@app/queue/job-ids';
import { JobHandler } from '@app/queue/job-handler.decorator';
import { JobQueue } from '@app/queue/job-queue.service';
import { CycleCloseService } from './cycle-close.service';
import { FinalizeService } from './finalize.service';
import { ReviewRepository } from './review.repository';

/**
 * Due work from PostgreSQL, the source of truth: jobs only carry "do the due work now", so a
 * lost job (a Redis flush) is re-created here, every 5 minutes and at worker start. And the
 * month-end run as of a given time for test and training deployments.
 */
@Injectable()
export class ReconcileService {
  constructor(
    private readonly repo: ReviewRepository,
    private readonly closing: CycleCloseService,
    private readonly finalizing: FinalizeService,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
  ) {}

  /** Re-creates due work from PostgreSQL: after a Redis flush nothing is lost, only delayed. */
  @JobHandler('cycle.reconcile')
  async reconcile(): Promise<{ close: number; finalize: number; posted: number; export: boolean }> {
    const now = new Date();
    const close = await this.closing.enqueueDueCloses(now);
    const due = await this.repo.dueWork(now);
    for (const cycleId of due.toFinalize) {
      const c = await this.repo.findCycleById(cycleId);
      if (c) await this.jobs.enqueue('cycle.finalize', { cycleId }, { jobId: jobIds.finalize(c.villageId, c.period) });
    }
    const posted = await this.finalizing.postLateDismissed(due.lateDismissed);
    if (due.pendingExport) await this.jobs.enqueue('credit.export', {}, { jobId: jobIds.reconcileExport(new Date()) });
    return { close, finalize: due.toFinalize.length, posted, export: due.pendingExport };
  }

  /**
   * For test and training deployments (`cli.js finalize-due --as-of`), never production: does
   * the month-end work as if it were `asOf`. Closes the cycles whose scheduled close has come by
   * then (months up to this one: a future month is never closed), ends the objection windows
   * that end by then — each shortened window leaves a cycle event and a system audit row —,
   * finalizes those cycles and posts entries whose objection was dismissed after finalize.
   * The same code paths as the jobs, so it is as idempotent as they are.
   */
  async runDueAsOf(asOf: Date): Promise<{ closed: number; windowsEnded: number; finalized: number; posted: number }> {
    if (process.env.NODE_ENV === 'production') throw new AppError('CYCLE.AS_OF_REFUSED');
    const thisMonth = periodOf(new Date());
    let closed = 0;
    for (const d of await this.closing.dueCloses(asOf)) {
      if (d.period <= thisMonth && (await this.closing.handleClose(d)) === 'closed') closed += 1;
    }
    let windowsEnded = 0;
    let finalized = 0;
    for (const cycleId of await this.repo.windowsEndingBy(asOf)) {
      const ended = await this.repo.transaction(async (m) => {
        const c = await this.repo.lockCycleById(m, cycleId);
        if (!c || c.state !== 'publicized' || !c.windowEndsAt || c.windowEndsAt.getTime() > asOf.getTime()) return false;
        if (c.windowEndsAt.getTime() <= Date.now()) return false;
        const reason = `异议期按 finalize-due --as-of ${asOf.toISOString()} 提前结束（原定 ${c.windowEndsAt.toISOString()}；仅测试/培训环境）`;
        await this.repo.endWindowNow(m, c, reason);
        await this.audit.record(null, { townId: c.townId, action: 'cycle.window_end_early', targetType: 'cycle', targetId: c.id, summary: { asOf: asOf.toISOString(), windowEndsAtBefore: c.windowEndsAt.toISOString() } }, m);
        return true;
      });
      if (ended) windowsEnded += 1;
      if ((await this.finalizing.finalize(cycleId, new Date())) === 'finalized') finalized += 1;
    }
    const posted = await this.finalizing.postLateDismissed((await this.repo.dueWork()).lateDismissed);
    return { closed, windowsEnded, finalized, posted };
  }
}
