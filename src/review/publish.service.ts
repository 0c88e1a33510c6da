import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { buildBoard } from '@app/board/board-content';
import { publicBoardParts } from '@app/board/board-json';
import { BoardService } from '@app/board/board.service';
import { AppError } from '@app/common/errors/app-error';
import { NoticesService } from '@app/notices/notices.service';
import { jobIds } from '@app/queue/job-ids';
import { JobQueue } from '@app/queue/job-queue.service';
import { EntryStatesService } from '@app/entries/entry-states.service';
import { CycleAssessment } from './cycle-assessment.service';
import { lockCycleIn } from './cycle-lock';
import { ReviewRepository, type CycleRow } from './review.repository';

const DAY_MS = 86_400_000;

/**
 * reviewed → publicized: the board is written once, the objection window starts, and the
 * finalize job is queued for its end.
 */
@Injectable()
export class PublishService {
  constructor(
    private readonly repo: ReviewRepository,
    private readonly assessment: CycleAssessment,
    private readonly entryStates: EntryStatesService,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
    private readonly boards: BoardService,
    private readonly notices: NoticesService,
  ) {}

  async publish(ctx: RequestContext, villageId: string, period: string): Promise<CycleRow> {
    const village = await this.scope.village(ctx.principal, villageId);
    const cycle = await this.repo.transaction(async (m) => {
      const c = await lockCycleIn(this.repo, m, village.townId, villageId, period, ['closed', 'reviewed']);
      const counts = await this.repo.countByStatus(villageId, period, m);
      if (counts.submitted) throw new AppError('CYCLE.UNDECIDED_ENTRIES', undefined, { undecided: counts.submitted });
      if (c.state !== 'reviewed') throw new AppError('CYCLE.NO_MEETING');
      const town = await this.repo.townSettings(c.townId, m);
      const villageName = (await this.repo.villageName(m, villageId)) as string;
      const publishedAt = new Date();
      const windowEndsAt = new Date(publishedAt.getTime() + town.objectionWindowDays * DAY_MS);
      // The points the board shows, and finalize posts, are those of the entries that stand now.
      await this.assessment.assess(m, c);
      const board = buildBoard({
        villageId,
        villageName,
        period,
        publishedAt,
        windowEndsAt,
        entries: await this.repo.periodEntries(villageId, period, m),
        householdNumbers: town.boardHouseholdNumbers,
      });
      await this.repo.insertBoard(m, c, board as unknown as Record<string, unknown>, publicBoardParts(board));
      await this.entryStates.markPublished(m, c, ctx.principal.id);
      await this.repo.transition(m, c, 'publicized', ctx.principal.id, null, { windowEndsAt });
      await this.notices.recordBreachesPublished(m, c.id);
      await this.audit.record(ctx, { action: 'cycle.publish', targetType: 'cycle', targetId: c.id, summary: { windowEndsAt: windowEndsAt.toISOString(), entries: board.totals.entries } }, m);
      return (await this.repo.findCycleById(c.id, m)) as CycleRow;
    });
    // A standby that has not replayed the publish yet is not asked for this board (ReadReplica).
    await this.boards.invalidate(villageId, period);
    await this.scheduleFinalize(cycle);
    return cycle;
  }

  private async scheduleFinalize(c: CycleRow): Promise<void> {
    const delayMs = Math.max(0, (c.windowEndsAt as Date).getTime() - Date.now());
    await this.jobs.enqueue('cycle.finalize', { cycleId: c.id }, { jobId: jobIds.finalize(c.villageId, c.period), delayMs });
  }
}
