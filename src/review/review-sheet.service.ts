import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { EntryStatesService } from '@app/entries/entry-states.service';
import type { Explanation } from '@app/scoring/rules/rule.types';
import { CycleAssessment } from './cycle-assessment.service';
import { lockCycleIn } from './cycle-lock';
import type { CycleListDto, DecisionDto, MeetingDto } from './review.dto';
import { ReviewRepository, type CycleRow } from './review.repository';
import { scheduledCloseAt } from './schedule';

export interface ReviewSheet {
  /** The period this sheet is about (a village may have last month and this month open). */
  period: string;
  cycle: CycleRow;
  counts: Record<string, number>;
  meeting: { heldOn: string; attendees: string[]; minutes: string } | null;
  entries: Array<{
    id: string;
    /** 记录编号, as the board prints it. */
    recordNo: string;
    residentId: string;
    residentName: string;
    itemCode: string;
    itemName: string;
    occurredOn: string;
    /** 补录: a deed of a closed month, with its deed date in occurredOn. */
    late: boolean;
    points: number;
    finalPoints: number | null;
    explanation: Explanation;
    status: string;
    disputed: boolean;
    duplicateOf: string | null;
  }>;
}

/**
 * The meeting's stage: the village's cycles, the review sheet, the meeting record and the
 * decisions (closed → reviewed once a meeting is recorded and no entry is undecided).
 */
@Injectable()
export class ReviewSheetService {
  constructor(
    private readonly repo: ReviewRepository,
    private readonly assessment: CycleAssessment,
    private readonly entryStates: EntryStatesService,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
  ) {}

  /** The village's cycles (open ones first), scoped like the review sheet. */
  async listCycles(ctx: RequestContext, villageId: string): Promise<CycleListDto> {
    const village = await this.scope.village(ctx.principal, villageId);
    const [rows, town] = await Promise.all([this.repo.listVillageCycles(village.id), this.repo.townSettings(village.townId)]);
    return {
      villageId: village.id,
      closeDay: town.closeDay,
      cycles: rows.map((c) => ({
        id: c.id,
        period: c.period,
        state: c.state,
        entries: c.entries,
        // A reopened cycle (closed_at kept) waits for an admin; the schedule no longer closes it.
        scheduledCloseAt: c.state === 'open' && !c.closedAt ? scheduledCloseAt(c.period, town.closeDay) : null,
        closedAt: c.closedAt,
        reviewedAt: c.reviewedAt,
        publishedAt: c.publishedAt,
        windowEndsAt: c.windowEndsAt,
        finalizedAt: c.finalizedAt,
      })),
    };
  }

  async sheet(ctx: RequestContext, villageId: string, period: string): Promise<ReviewSheet> {
    await this.scope.village(ctx.principal, villageId);
    const cycle = await this.repo.findCycle(villageId, period);
    if (!cycle) throw new AppError('CYCLE.NOT_FOUND');
    const entries = await this.repo.periodEntries(villageId, period);
    return {
      period: cycle.period,
      cycle,
      counts: await this.repo.countByStatus(villageId, period),
      meeting: await this.repo.latestMeeting(cycle.id),
      entries: entries.map((e) => ({
        id: e.id,
        recordNo: e.recordNo,
        residentId: e.residentId,
        residentName: e.residentName,
        itemCode: e.itemCode,
        itemName: e.itemName,
        occurredOn: e.occurredOn,
        late: e.late,
        points: e.points,
        finalPoints: e.finalPoints,
        explanation: e.finalExplanation ?? e.explanation,
        status: e.status,
        disputed: e.disputed,
        duplicateOf: e.duplicateOf,
      })),
    };
  }

  async recordMeeting(ctx: RequestContext, villageId: string, period: string, dto: MeetingDto): Promise<CycleRow> {
    const village = await this.scope.village(ctx.principal, villageId);
    return this.repo.transaction(async (m) => {
      const c = await lockCycleIn(this.repo, m, village.townId, villageId, period, ['closed', 'reviewed']);
      const id = await this.repo.insertMeeting(m, { townId: c.townId, cycleId: c.id, heldOn: dto.heldOn, attendees: dto.attendees, minutes: dto.minutes, recordedBy: ctx.principal.id });
      await this.audit.record(ctx, { action: 'cycle.meeting', targetType: 'cycle', targetId: c.id, summary: { meetingId: id, heldOn: dto.heldOn, attendees: dto.attendees.length } }, m);
      return this.markReviewedIfDone(m, c, ctx.principal.id);
    });
  }

  /** Decisions in bulk, all or nothing: an entry not of this cycle refuses the whole request. */
  async decide(ctx: RequestContext, villageId: string, period: string, decisions: DecisionDto[]): Promise<{ cycle: CycleRow; decided: number }> {
    const village = await this.scope.village(ctx.principal, villageId);
    const missingReason = decisions.filter((d) => d.decision === 'reject' && !d.reason).map((d) => d.entryId);
    if (missingReason.length) throw new AppError('REVIEW.REASON_REQUIRED', undefined, { entryIds: missingReason });
    const latest = new Map(decisions.map((d) => [d.entryId, d]));
    return this.repo.transaction(async (m) => {
      const c = await lockCycleIn(this.repo, m, village.townId, villageId, period, ['closed', 'reviewed']);
      const list = [...latest.values()].map((d) => ({ entryId: d.entryId, decision: d.decision, reason: d.reason ?? null }));
      const changed = new Set(await this.entryStates.recordDecisions(m, c, ctx.principal.id, list));
      const notInCycle = list.filter((d) => !changed.has(d.entryId)).map((d) => d.entryId);
      if (notInCycle.length) throw new AppError('REVIEW.ENTRY_NOT_IN_CYCLE', undefined, { entryIds: notInCycle });
      await this.assessment.assess(m, c);
      await this.audit.record(ctx, { action: 'cycle.decide', targetType: 'cycle', targetId: c.id, summary: { approved: list.filter((d) => d.decision === 'approve').length, rejected: list.filter((d) => d.decision === 'reject').length } }, m);
      return { cycle: await this.markReviewedIfDone(m, c, ctx.principal.id), decided: list.length };
    });
  }

  private async markReviewedIfDone(m: EntityManager, c: CycleRow, actorId: string): Promise<CycleRow> {
    const counts = await this.repo.countByStatus(c.villageId, c.period, m);
    const meeting = await this.repo.latestMeeting(c.id, m);
    if (c.state === 'closed' && !counts.submitted && meeting) await this.repo.transition(m, c, 'reviewed', actorId, null);
    return (await this.repo.findCycleById(c.id, m)) as CycleRow;
  }
}
