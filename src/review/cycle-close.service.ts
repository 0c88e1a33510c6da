import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { periodOf, previousPeriod } from '@app/common/time';
import { jobIds } from '@app/queue/job-ids';
import { JobHandler } from '@app/queue/job-handler.decorator';
import { JobQueue } from '@app/queue/job-queue.service';
import type { JobPayloads } from '@app/queue/jobs';
import { CycleAssessment } from './cycle-assessment.service';
import { ReviewRepository, type CycleRow } from './review.repository';
import { isCloseDue } from './schedule';

/**
 * The cycle's first stage: open → closed (by the town's close day, or a town admin early), with
 * the period rules assessed at close, and a town admin's reopen (closed/reviewed → open).
 * Every transition happens under the cycle row's lock and appends a cycle event.
 */
@Injectable()
export class CycleCloseService {
  constructor(
    private readonly repo: ReviewRepository,
    private readonly assessment: CycleAssessment,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
  ) {}

  /** Town admin closes a village's cycle early (or on time); the job does the same for all. */
  async closeByAdmin(ctx: RequestContext, villageId: string, period: string): Promise<CycleRow> {
    const village = await this.scope.village(ctx.principal, villageId);
    if (period > periodOf(new Date())) throw new AppError('CYCLE.PERIOD_NOT_ENDED', '不能关闭未来的期间 / cannot close a future period');
    const result = await this.close(village.townId, villageId, period, ctx.principal.id);
    if (result === 'not-open') throw new AppError('CYCLE.WRONG_STATE');
    await this.audit.record(ctx, { action: 'cycle.close', targetType: 'cycle', targetId: `${villageId}/${period}` });
    return (await this.repo.findCycle(villageId, period)) as CycleRow;
  }

  /**
   * Closes the cycle and assesses every standing entry of the period with the period-level rules
   * (thresholds, bands, caps) over the whole period. Idempotent: closing a closed cycle is a no-op.
   */
  async close(townId: string, villageId: string, period: string, actorId: string | null): Promise<'closed' | 'not-open'> {
    return this.repo.transaction(async (m) => {
      const c = await this.repo.lockCycle(m, townId, villageId, period);
      if (c.state !== 'open') return 'not-open';
      // The jobs (actor null) leave a cycle an admin reopened to the admin: only they close it again.
      if (actorId === null && c.closedAt) return 'not-open';
      await this.assessment.assess(m, c);
      await this.repo.transition(m, c, 'closed', actorId, null);
      // The admin's close is audited by closeByAdmin; the scheduled one here, as the system.
      if (actorId === null) await this.audit.record(null, { action: 'cycle.close', targetType: 'cycle', targetId: c.id, townId, summary: { villageId, period, scheduled: true } }, m);
      return 'closed';
    });
  }

  /**
   * Daily tick (00:10 Asia/Shanghai): each town closes last month on its own close day, so the
   * scheduler runs every day and enqueues what is due; reconcile enqueues the same set.
   */
  @JobHandler('cycle.close_due')
  async handleCloseDue(): Promise<number> {
    return this.enqueueDueCloses(new Date());
  }

  /** Village-periods whose scheduled close has come by `now` and that are not closed yet. */
  async dueCloses(now: Date): Promise<Array<{ villageId: string; period: string }>> {
    const last = previousPeriod(periodOf(now));
    const towns = await this.repo.townCloseDays();
    const due = towns.filter((t) => isCloseDue(last, t.closeDay, now)).map((t) => t.townId);
    return this.repo.cyclesDueToClose(last, due);
  }

  /** Enqueues the close of each village-period due by `now` (the daily tick and reconcile). */
  async enqueueDueCloses(now: Date): Promise<number> {
    const due = await this.dueCloses(now);
    for (const { villageId, period } of due) {
      await this.jobs.enqueue('cycle.close', { villageId, period }, { jobId: jobIds.close(villageId, period) });
    }
    return due.length;
  }

  @JobHandler('cycle.close')
  async handleClose(payload: JobPayloads['cycle.close']): Promise<'closed' | 'not-open'> {
    const townId = await this.repo.villageTownId(payload.villageId);
    if (!townId) return 'not-open';
    return this.close(townId, payload.villageId, payload.period, null);
  }

  async reopen(ctx: RequestContext, villageId: string, period: string, reason: string): Promise<CycleRow> {
    const village = await this.scope.village(ctx.principal, villageId);
    await this.repo.transaction(async (m) => {
      const c = await this.repo.lockCycle(m, village.townId, villageId, period);
      if (c.state !== 'closed' && c.state !== 'reviewed') throw new AppError('CYCLE.WRONG_STATE', '只能重开已关账、未公示的周期 / only a closed or reviewed cycle can be reopened');
      await this.repo.transition(m, c, 'open', ctx.principal.id, reason);
      await this.audit.record(ctx, { action: 'cycle.reopen', targetType: 'cycle', targetId: c.id, summary: { reason, before: c.state, after: 'open' } }, m);
    });
    return (await this.repo.findCycle(villageId, period)) as CycleRow;
  }
}
