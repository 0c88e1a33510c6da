import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@app/audit/audit.service';
import type { PublicContext, RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { BoardService } from '@app/board/board.service';
import { AppError } from '@app/common/errors/app-error';
import { periodOf, previousPeriod } from '@app/common/time';
import { LedgerService } from '@app/ledger/ledger.service';
import { checkpointValue, CURRENT_CHECKPOINT_VERSION } from '@app/ledger/checkpoint';
import { NoticesService } from '@app/notices/notices.service';
import type { PostingRequest } from '@app/ledger/ledger.types';
import { jobIds } from '@app/queue/job-ids';
import { JobHandler } from '@app/queue/job-handler.decorator';
import { JobQueue } from '@app/queue/job-queue.service';
import type { JobPayloads } from '@app/queue/jobs';
import { EntryStatesService } from '@app/scoring/entry-states.service';
import { formatObjectionNumber, normalizeRecordNumber } from '@app/scoring/record-number';
import { evaluatePeriod } from '@app/scoring/rules/rule-engine';
import type { Explanation } from '@app/scoring/rules/rule.types';
import { buildBoard, type BoardContent } from './board';
import type { AnswerDto, CycleListDto, DecisionDto, MeetingDto, ObjectionDto } from './review.dto';
import type { CycleState } from './review.entities';
import { ReviewRepository, type CycleRow, type ObjectionRow, type PeriodEntry } from './review.repository';
import { isCloseDue, scheduledCloseAt } from './schedule';
import { addWorkingDays } from './working-days';

const DAY_MS = 86_400_000;

export interface FiledObjection {
  id: string;
  /** 异议编号, e.g. DC-2611-0042-Y1. */
  number: string;
  entryId: string;
  recordNo: string;
  dueAt: Date;
}

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
 * The monthly review cycle: open → closed → reviewed → publicized → finalized. Every transition
 * happens under the cycle row's lock and appends a cycle event; PostgreSQL holds all state, and
 * jobs only carry "do the due work now" (so a lost job is re-created by reconcile).
 */
@Injectable()
export class ReviewService {
  constructor(
    private readonly repo: ReviewRepository,
    private readonly entryStates: EntryStatesService,
    private readonly ledger: LedgerService,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
    private readonly boards: BoardService,
    private readonly notices: NoticesService,
  ) {}

  // ---- close -------------------------------------------------------------------------------

  /** Town admin closes a village's cycle early (or on time); the job does the same for all. */
  async closeByAdmin(ctx: RequestContext, villageId: string, period: string): Promise<CycleRow> {
    const village = await this.scope.village(ctx.principal, villageId);
    if (period > periodOf(new Date())) throw new AppError('CYCLE.PERIOD_NOT_ENDED', '不能关闭未来的期间 / cannot close a future period');
    const result = await this.close(village.townId, villageId, period, ctx.principal.id);
    if (result === 'not-open') throw new AppError('CYCLE.WRONG_STATE');
    await this.audit.record(ctx, { action: 'cycle.close', targetType: 'cycle', targetId: `${villageId}/${period}` });
    return (await this.repo.findCycle(this.repo.db, villageId, period)) as CycleRow;
  }

  /**
   * Closes the cycle and assesses every standing entry of the period with the period-level rules
   * (thresholds, bands, caps) over the whole period. Idempotent: closing a closed cycle is a no-op.
   */
  async close(townId: string, villageId: string, period: string, actorId: string | null): Promise<'closed' | 'not-open'> {
    return this.repo.db.transaction(async (m) => {
      const c = await this.repo.lockCycle(m, townId, villageId, period);
      if (c.state !== 'open') return 'not-open';
      // The jobs (actor null) leave a cycle an admin reopened to the admin: only they close it again.
      if (actorId === null && c.closedAt) return 'not-open';
      await this.assess(m, c);
      await this.repo.transition(m, c, 'closed', actorId, null);
      // The admin's close is audited by closeByAdmin; the scheduled one here, as the system.
      if (actorId === null) await this.audit.record(null, { action: 'cycle.close', targetType: 'cycle', targetId: c.id, townId, summary: { villageId, period, scheduled: true } }, m);
      return 'closed';
    });
  }

  /**
   * Scores the period's standing entries with the period-level rules. Run at close, and again
   * whenever the standing set changes (a decision): a threshold, band, per-unit total or cap
   * counts only entries that still stand, so rejecting one entry can change its siblings' points
   * (two parking offences, one rejected: the other is the first, a warning). Writes only the
   * entries whose points or explanation changed.
   */
  private async assess(m: EntityManager, c: CycleRow): Promise<void> {
    const standing = (await this.repo.periodEntries(m, c.villageId, c.period)).filter((e) => e.status !== 'rejected' && e.status !== 'withdrawn');
    if (!standing.length) return;
    const year = c.period.slice(0, 4);
    const residentIds = [...new Set(standing.map((e) => e.residentId))];
    const codes = [...new Set(standing.map((e) => e.itemCode))];
    const earlier = c.period.endsWith('-01') ? [] : await this.entryStates.standingEntries(m, residentIds, codes, `${year}-01`, previousPeriod(c.period));
    const history = new Map<string, { quantity: number; points: number; occurrences: number }>();
    for (const e of earlier) {
      const k = `${e.residentId}|${e.itemCode}`;
      const h = history.get(k) ?? { quantity: 0, points: 0, occurrences: 0 };
      h.quantity += e.quantity ?? 0;
      h.points += Math.abs(e.points);
      h.occurrences += 1;
      history.set(k, h);
    }
    const groups = new Map<string, PeriodEntry[]>();
    for (const e of standing) {
      const k = `${e.residentId}|${e.itemCode}`;
      groups.set(k, [...(groups.get(k) ?? []), e]);
    }
    const out: Array<{ entryId: string; points: number; explanation: Explanation }> = [];
    for (const [k, group] of groups) {
      const item = group[0];
      const scores = evaluatePeriod(
        { code: item.itemCode, sign: item.sign, rule: item.rule, caps: item.caps ?? undefined },
        history.get(k) ?? { quantity: 0, points: 0, occurrences: 0 },
        group.map((e) => ({ id: e.id, occurredOn: e.occurredOn, quantity: e.quantity, chosenPoints: e.chosenPoints })),
      );
      for (const s of scores) out.push({ entryId: s.id, points: s.points, explanation: s.explanation });
    }
    const before = new Map(standing.map((e) => [e.id, e]));
    const changed = out.filter((o) => {
      const e = before.get(o.entryId);
      return !e || e.finalPoints !== o.points || stableJson(e.finalExplanation) !== stableJson(o.explanation);
    });
    await this.entryStates.recordAssessments(m, c.townId, changed);
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
    const towns = await this.repo.townCloseDays(this.repo.db);
    const due = towns.filter((t) => isCloseDue(last, t.closeDay, now)).map((t) => t.townId);
    return this.repo.cyclesDueToClose(this.repo.db, last, due);
  }

  private async enqueueDueCloses(now: Date): Promise<number> {
    const due = await this.dueCloses(now);
    for (const { villageId, period } of due) {
      await this.jobs.enqueue('cycle.close', { villageId, period }, { jobId: jobIds.close(villageId, period) });
    }
    return due.length;
  }

  @JobHandler('cycle.close')
  async handleClose(payload: JobPayloads['cycle.close']): Promise<'closed' | 'not-open'> {
    const townId = await this.repo.villageTownId(this.repo.db, payload.villageId);
    if (!townId) return 'not-open';
    return this.close(townId, payload.villageId, payload.period, null);
  }

  async reopen(ctx: RequestContext, villageId: string, period: string, reason: string): Promise<CycleRow> {
    const village = await this.scope.village(ctx.principal, villageId);
    await this.repo.db.transaction(async (m) => {
      const c = await this.repo.lockCycle(m, village.townId, villageId, period);
      if (c.state !== 'closed' && c.state !== 'reviewed') throw new AppError('CYCLE.WRONG_STATE', '只能重开已关账、未公示的周期 / only a closed or reviewed cycle can be reopened');
      await this.repo.transition(m, c, 'open', ctx.principal.id, reason);
      await this.audit.record(ctx, { action: 'cycle.reopen', targetType: 'cycle', targetId: c.id, summary: { reason, before: c.state, after: 'open' } }, m);
    });
    return (await this.repo.findCycle(this.repo.db, villageId, period)) as CycleRow;
  }

  // ---- review ------------------------------------------------------------------------------

  /** The village's cycles (open ones first), scoped like the review sheet. */
  async listCycles(ctx: RequestContext, villageId: string): Promise<CycleListDto> {
    const village = await this.scope.village(ctx.principal, villageId);
    const [rows, town] = await Promise.all([this.repo.listVillageCycles(this.repo.db, village.id), this.repo.townSettings(this.repo.db, village.townId)]);
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
    const cycle = await this.repo.findCycle(this.repo.db, villageId, period);
    if (!cycle) throw new AppError('CYCLE.NOT_FOUND');
    const entries = await this.repo.periodEntries(this.repo.db, villageId, period);
    return {
      period: cycle.period,
      cycle,
      counts: await this.repo.countByStatus(this.repo.db, villageId, period),
      meeting: await this.repo.latestMeeting(this.repo.db, cycle.id),
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
    return this.repo.db.transaction(async (m) => {
      const c = await this.lockExisting(m, village.townId, villageId, period, ['closed', 'reviewed']);
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
    return this.repo.db.transaction(async (m) => {
      const c = await this.lockExisting(m, village.townId, villageId, period, ['closed', 'reviewed']);
      const list = [...latest.values()].map((d) => ({ entryId: d.entryId, decision: d.decision, reason: d.reason ?? null }));
      const changed = new Set(await this.entryStates.recordDecisions(m, c, ctx.principal.id, list));
      const notInCycle = list.filter((d) => !changed.has(d.entryId)).map((d) => d.entryId);
      if (notInCycle.length) throw new AppError('REVIEW.ENTRY_NOT_IN_CYCLE', undefined, { entryIds: notInCycle });
      await this.assess(m, c);
      await this.audit.record(ctx, { action: 'cycle.decide', targetType: 'cycle', targetId: c.id, summary: { approved: list.filter((d) => d.decision === 'approve').length, rejected: list.filter((d) => d.decision === 'reject').length } }, m);
      return { cycle: await this.markReviewedIfDone(m, c, ctx.principal.id), decided: list.length };
    });
  }

  private async markReviewedIfDone(m: EntityManager, c: CycleRow, actorId: string): Promise<CycleRow> {
    const counts = await this.repo.countByStatus(m, c.villageId, c.period);
    const meeting = await this.repo.latestMeeting(m, c.id);
    if (c.state === 'closed' && !counts.submitted && meeting) await this.repo.transition(m, c, 'reviewed', actorId, null);
    return (await this.repo.findCycleById(m, c.id)) as CycleRow;
  }

  // ---- publish -----------------------------------------------------------------------------

  async publish(ctx: RequestContext, villageId: string, period: string): Promise<CycleRow> {
    const village = await this.scope.village(ctx.principal, villageId);
    const cycle = await this.repo.db.transaction(async (m) => {
      const c = await this.lockExisting(m, village.townId, villageId, period, ['closed', 'reviewed']);
      const counts = await this.repo.countByStatus(m, villageId, period);
      if (counts.submitted) throw new AppError('CYCLE.UNDECIDED_ENTRIES', undefined, { undecided: counts.submitted });
      if (c.state !== 'reviewed') throw new AppError('CYCLE.NO_MEETING');
      const town = await this.repo.townSettings(m, c.townId);
      const villageName = (await this.repo.villageName(m, villageId)) as string;
      const publishedAt = new Date();
      const windowEndsAt = new Date(publishedAt.getTime() + town.objectionWindowDays * DAY_MS);
      // The points the board shows, and finalize posts, are those of the entries that stand now.
      await this.assess(m, c);
      const board = buildBoard({
        villageId,
        villageName,
        period,
        publishedAt,
        windowEndsAt,
        entries: await this.repo.periodEntries(m, villageId, period),
        householdNumbers: town.boardHouseholdNumbers,
      });
      await this.repo.insertBoard(m, c, board as unknown as Record<string, unknown>);
      await this.entryStates.markPublished(m, c, ctx.principal.id);
      await this.repo.transition(m, c, 'publicized', ctx.principal.id, null, { windowEndsAt });
      await this.notices.recordBreachesPublished(m, c.id);
      await this.audit.record(ctx, { action: 'cycle.publish', targetType: 'cycle', targetId: c.id, summary: { windowEndsAt: windowEndsAt.toISOString(), entries: board.totals.entries } }, m);
      return (await this.repo.findCycleById(m, c.id)) as CycleRow;
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

  // ---- objections --------------------------------------------------------------------------

  /**
   * A resident's objection to a line of the board, by the record number printed on it (or the
   * entry id). Under the cycle row's lock: the window check, the objection's number (its record
   * number and the nth objection to it) and the dispute flag see every other filing in order.
   */
  async fileObjection(pub: PublicContext, villageId: string, period: string, dto: ObjectionDto): Promise<FiledObjection> {
    const filed = await this.repo.db.transaction(async (m) => {
      const c = await this.repo.findCycle(m, villageId, period);
      const board = await this.repo.findBoard(m, villageId, period);
      if (!c || !board) throw new AppError('BOARD.NOT_FOUND');
      const locked = (await this.repo.lockCycleById(m, c.id)) as CycleRow;
      if (locked.state !== 'publicized' || (locked.windowEndsAt as Date).getTime() <= Date.now()) throw new AppError('OBJECTION.WINDOW_CLOSED');
      const entry = await this.objectedEntry(m, c.townId, dto);
      const onBoard = (board.content as unknown as BoardContent).residents.some((r) => r.lines.some((l) => l.entryId === entry.id));
      if (!onBoard) throw new AppError('OBJECTION.ENTRY_NOT_ON_BOARD', `记录 ${entry.recordNo} 不在本村本期公示栏上，请核对村名、月份和编号 / entry is not on this board`);
      const town = await this.repo.townSettings(m, c.townId);
      const dueAt = addWorkingDays(new Date(), town.objectionAnswerWorkingDays, new Set(town.holidays), 'Asia/Shanghai', new Set(town.makeupWorkdays));
      const number = formatObjectionNumber(entry.recordNo, (await this.repo.countObjectionsForEntry(m, entry.id)) + 1);
      const o = await this.repo.insertObjection(m, { townId: c.townId, villageId, cycleId: c.id, entryId: entry.id, objectorName: dto.name, contact: dto.contact, reason: dto.reason, clientIp: pub.clientIp, dueAt, number });
      await this.entryStates.markDisputed(m, c.townId, entry.id, o.id, dto.reason);
      await this.audit.recordPublic(pub, c.townId, { action: 'objection.file', targetType: 'entry', targetId: entry.id, summary: { objectionId: o.id, number } }, m);
      return { id: o.id, number, entryId: entry.id, recordNo: entry.recordNo, dueAt: o.dueAt };
    });
    // After the commit: the board shows the entry under objection from the next request on.
    await this.boards.invalidate(villageId, period);
    return filed;
  }

  /** The entry an objection names: by record number (any case or width) within the town, or by id. */
  private async objectedEntry(m: EntityManager, townId: string, dto: ObjectionDto): Promise<{ id: string; recordNo: string }> {
    if (dto.recordNo !== undefined) {
      const recordNo = normalizeRecordNumber(dto.recordNo);
      if (!recordNo) throw new AppError('OBJECTION.RECORD_NOT_FOUND', `“${dto.recordNo.slice(0, 40)}”不是记录编号：请照公示栏上印的编号填写，如 DC-2611-0042 / not a record number`);
      const found = await this.repo.findEntryByRecordNo(m, townId, recordNo);
      if (!found || (dto.entryId !== undefined && dto.entryId !== found.id)) throw new AppError('OBJECTION.RECORD_NOT_FOUND', `没有记录编号为 ${recordNo} 的记录，请对照公示栏核对 / no entry has this record number`);
      return found;
    }
    const recordNo = await this.repo.entryRecordNo(m, dto.entryId as string);
    if (!recordNo) throw new AppError('OBJECTION.ENTRY_NOT_ON_BOARD');
    return { id: dto.entryId as string, recordNo };
  }

  /** Upheld: the entry is withdrawn from posting. Dismissed: it stands (and posts now if the cycle is already finalized). */
  async answerObjection(ctx: RequestContext, id: string, dto: AnswerDto): Promise<ObjectionRow> {
    const result = await this.repo.db.transaction(async (m) => {
      const o = await this.repo.lockObjection(m, id);
      if (!o) throw new AppError('OBJECTION.NOT_FOUND');
      await this.scope.village(ctx.principal, o.villageId);
      if (o.outcome) throw new AppError('OBJECTION.ALREADY_ANSWERED');
      const answered = await this.repo.answerObjection(m, id, dto.outcome, dto.answer, ctx.principal.id);
      const c = (await this.repo.lockCycleById(m, o.cycleId)) as CycleRow;
      if (dto.outcome === 'upheld') {
        await this.entryStates.upholdObjection(m, o.townId, o.entryId, id, ctx.principal.id, dto.answer);
      } else {
        await this.entryStates.recordObjectionDismissed(m, o.townId, o.entryId, id, ctx.principal.id, dto.answer);
        if ((await this.repo.openObjectionsForEntry(m, o.entryId)) === 0) {
          await this.entryStates.clearDispute(m, o.entryId);
          if (c.state === 'finalized') await this.postEntries(m, c, [o.entryId]);
        }
      }
      await this.notices.recordObjectionAnswered(m, id);
      await this.audit.record(ctx, { action: 'objection.answer', targetType: 'objection', targetId: id, summary: { outcome: dto.outcome, entryId: o.entryId } }, m);
      return { answered, cycle: c };
    });
    await this.boards.invalidate(result.cycle.villageId, result.cycle.period);
    if (result.cycle.state === 'finalized') await this.afterPosting(result.cycle);
    return result.answered;
  }

  async listObjections(ctx: RequestContext, q: { villageId?: string; overdue?: string; open?: string }): Promise<ObjectionRow[]> {
    if (q.villageId) await this.scope.village(ctx.principal, q.villageId);
    const villageId = q.villageId ?? (ctx.principal.kind === 'staff' ? (ctx.principal.villageId ?? undefined) : undefined);
    return this.repo.listObjections(this.repo.db, { townId: ctx.principal.townId, villageId, overdueOnly: q.overdue === 'true', openOnly: q.open === 'true' });
  }

  // ---- finalize ----------------------------------------------------------------------------

  @JobHandler('cycle.finalize')
  async handleFinalize(payload: JobPayloads['cycle.finalize']): Promise<string> {
    return this.finalize(payload.cycleId);
  }

  /**
   * Posts every approved, undisputed entry through the ledger and writes the checkpoint, in ONE
   * transaction with the cycle row locked: killed half-way it rolls back whole, run twice the
   * second run finds the cycle finalized (and the ledger's unique source refs are the backstop).
   */
  async finalize(cycleId: string, now = new Date()): Promise<'finalized' | 'already' | 'not-due'> {
    const outcome = await this.repo.db.transaction(async (m) => {
      const c = await this.repo.lockCycleById(m, cycleId);
      if (!c) return { status: 'not-due' as const };
      if (c.state === 'finalized') return { status: 'already' as const };
      if (c.state !== 'publicized' || !c.windowEndsAt || c.windowEndsAt.getTime() > now.getTime()) return { status: 'not-due' as const };
      const posted = await this.postEntries(m, c);
      // One set-based read of the village's heads (after the postings, under the cycle lock),
      // one pass to build the Merkle tree in JS: 2n SHA-256 for n accounts.
      const heads = await this.repo.accountHeads(m, c.villageId);
      const version = CURRENT_CHECKPOINT_VERSION;
      const hash = checkpointValue(version, c.villageId, c.period, heads);
      await this.repo.insertCheckpoint(m, c, version, heads, hash);
      await this.repo.transition(m, c, 'finalized', null, null, { checkpointHash: hash });
      await this.audit.record(
        null,
        {
          action: 'cycle.finalize',
          targetType: 'cycle',
          targetId: c.id,
          townId: c.townId,
          summary: { villageId: c.villageId, period: c.period, posted, accounts: heads.length, checkpointHash: hash, checkpointVersion: version },
        },
        m,
      );
      return { status: 'finalized' as const, cycle: c };
    });
    if (outcome.status === 'finalized') {
      await this.boards.invalidate(outcome.cycle.villageId, outcome.cycle.period);
      await this.afterPosting(outcome.cycle);
    }
    return outcome.status;
  }

  private async postEntries(m: EntityManager, c: CycleRow, only?: string[]): Promise<number> {
    const toPost = await this.repo.entriesToPost(m, c.villageId, c.period, only);
    if (!toPost.length) return 0;
    const requests: PostingRequest[] = toPost.map((e) => ({
      accountId: e.residentId,
      kind: 'deed',
      points: e.points,
      sourceRef: `entry:${e.id}`,
      counterparty: `town:${c.townId}`,
      period: c.period,
      itemCode: e.itemCode,
      memo: e.itemName,
    }));
    const result = await this.ledger.postBatch(requests, m);
    const postingBySource = new Map(result.postings.map((p) => [p.sourceRef, p]));
    if (result.skipped) {
      const rows = await this.repo.deedPostingIds(m, result.skippedRequests.map((r) => r.sourceRef));
      for (const r of rows) postingBySource.set(r.sourceRef, { id: r.id } as never);
    }
    const entryIds = toPost.map((e) => e.id);
    await this.entryStates.markPosted(m, c.townId, entryIds, toPost.map((e) => String(postingBySource.get(`entry:${e.id}`)?.id)));
    await this.repo.insertOutbox(m, result.postings.map((p) => p.id));
    await this.notices.recordPostings(m, result.postings, result.gradeChanges);
    return result.posted;
  }

  /**
   * One job id per town: at month end 50 villages finalize within minutes, and while a town's
   * export waits, a new enqueue returns it instead of adding another (JobQueue replaces it once
   * finished). Grades need no job: postings keep them current (a grade-table change regrades the
   * town in its own transaction, OrgService.updateSettings).
   */
  private async afterPosting(c: CycleRow): Promise<void> {
    await this.jobs.enqueue('credit.export', { townId: c.townId }, { jobId: jobIds.townExport(c.townId) });
  }

  // ---- reconcile ---------------------------------------------------------------------------

  /** Re-creates due work from PostgreSQL: after a Redis flush nothing is lost, only delayed. */
  @JobHandler('cycle.reconcile')
  async reconcile(): Promise<{ close: number; finalize: number; posted: number; export: boolean }> {
    const now = new Date();
    const close = await this.enqueueDueCloses(now);
    const due = await this.repo.dueWork(this.repo.db, now);
    for (const cycleId of due.toFinalize) {
      const c = await this.repo.findCycleById(this.repo.db, cycleId);
      if (c) await this.jobs.enqueue('cycle.finalize', { cycleId }, { jobId: jobIds.finalize(c.villageId, c.period) });
    }
    const posted = await this.postLateDismissed(due.lateDismissed);
    if (due.pendingExport) await this.jobs.enqueue('credit.export', {}, { jobId: jobIds.reconcileExport(new Date()) });
    return { close, finalize: due.toFinalize.length, posted, export: due.pendingExport };
  }

  /** Entries of finalized cycles whose objection was dismissed after finalize: post them now. */
  private async postLateDismissed(cycleIds: string[]): Promise<number> {
    let posted = 0;
    for (const cycleId of cycleIds) {
      const late = await this.repo.db.transaction(async (m) => {
        const c = (await this.repo.lockCycleById(m, cycleId)) as CycleRow;
        const n = await this.postEntries(m, c);
        if (n) await this.audit.record(null, { action: 'cycle.post_late', targetType: 'cycle', targetId: c.id, townId: c.townId, summary: { villageId: c.villageId, period: c.period, posted: n } }, m);
        return { c, n };
      });
      await this.boards.invalidate(late.c.villageId, late.c.period);
      posted += late.n;
    }
    return posted;
  }

  // ---- run due work as of a time (test and training deployments) ---------------------------

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
    for (const d of await this.dueCloses(asOf)) {
      if (d.period <= thisMonth && (await this.handleClose(d)) === 'closed') closed += 1;
    }
    let windowsEnded = 0;
    let finalized = 0;
    for (const cycleId of await this.repo.windowsEndingBy(this.repo.db, asOf)) {
      const ended = await this.repo.db.transaction(async (m) => {
        const c = await this.repo.lockCycleById(m, cycleId);
        if (!c || c.state !== 'publicized' || !c.windowEndsAt || c.windowEndsAt.getTime() > asOf.getTime()) return false;
        if (c.windowEndsAt.getTime() <= Date.now()) return false;
        const reason = `异议期按 finalize-due --as-of ${asOf.toISOString()} 提前结束（原定 ${c.windowEndsAt.toISOString()}；仅测试/培训环境）`;
        await this.repo.endWindowNow(m, c, reason);
        await this.audit.record(null, { townId: c.townId, action: 'cycle.window_end_early', targetType: 'cycle', targetId: c.id, summary: { asOf: asOf.toISOString(), windowEndsAtBefore: c.windowEndsAt.toISOString() } }, m);
        return true;
      });
      if (ended) windowsEnded += 1;
      if ((await this.finalize(cycleId, new Date())) === 'finalized') finalized += 1;
    }
    const posted = await this.postLateDismissed((await this.repo.dueWork(this.repo.db)).lateDismissed);
    return { closed, windowsEnded, finalized, posted };
  }

  private async lockExisting(m: EntityManager, townId: string, villageId: string, period: string, allowed: CycleState[]): Promise<CycleRow> {
    const found = await this.repo.findCycle(m, villageId, period);
    if (!found) throw new AppError('CYCLE.NOT_FOUND');
    const c = (await this.repo.lockCycleById(m, found.id)) as CycleRow;
    if (c.townId !== townId) throw new AppError('AUTH.OUT_OF_SCOPE');
    if (!allowed.includes(c.state)) throw new AppError('CYCLE.WRONG_STATE', undefined, { state: c.state, allowed });
    return c;
  }
}

/** JSON with object keys sorted: jsonb hands keys back in its own order. */
function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}
