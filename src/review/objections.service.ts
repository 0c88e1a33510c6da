import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@app/audit/audit.service';
import type { PublicContext, RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import type { BoardContent } from '@app/board/board-content';
import { BoardService } from '@app/board/board.service';
import { AppError } from '@app/common/errors/app-error';
import { NoticesService } from '@app/notices/notices.service';
import { EntryStatesService } from '@app/entries/entry-states.service';
import { formatObjectionNumber, normalizeRecordNumber } from '@app/entries/record-number';
import { FinalizeService } from './finalize.service';
import type { AnswerDto, ObjectionDto } from './review.dto';
import { ReviewRepository, type CycleRow, type ObjectionRow } from './review.repository';
import { addWorkingDays } from './working-days';

export interface FiledObjection {
  id: string;
  /** 异议编号, e.g. DC-2611-0042-Y1. */
  number: string;
  entryId: string;
  recordNo: string;
  dueAt: Date;
}

/**
 * Objections while a cycle is publicized: filed by residents against a line of the board (the
 * entry is disputed until answered), answered by the reviewer: upheld withdraws the entry,
 * dismissed lets it stand (and posts it at once if the cycle was finalized meanwhile).
 */
@Injectable()
export class ObjectionsService {
  constructor(
    private readonly repo: ReviewRepository,
    private readonly entryStates: EntryStatesService,
    private readonly finalizing: FinalizeService,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
    private readonly boards: BoardService,
    private readonly notices: NoticesService,
  ) {}

  /**
   * A resident's objection to a line of the board, by the record number printed on it (or the
   * entry id). Under the cycle row's lock: the window check, the objection's number (its record
   * number and the nth objection to it) and the dispute flag see every other filing in order.
   */
  async fileObjection(pub: PublicContext, villageId: string, period: string, dto: ObjectionDto): Promise<FiledObjection> {
    const filed = await this.repo.transaction(async (m) => {
      const c = await this.repo.findCycle(villageId, period, m);
      const board = await this.repo.findBoard(m, villageId, period);
      if (!c || !board) throw new AppError('BOARD.NOT_FOUND');
      const locked = (await this.repo.lockCycleById(m, c.id)) as CycleRow;
      if (locked.state !== 'publicized' || (locked.windowEndsAt as Date).getTime() <= Date.now()) throw new AppError('OBJECTION.WINDOW_CLOSED');
      const entry = await this.objectedEntry(m, c.townId, dto);
      const onBoard = (board.content as unknown as BoardContent).residents.some((r) => r.lines.some((l) => l.entryId === entry.id));
      if (!onBoard) throw new AppError('OBJECTION.ENTRY_NOT_ON_BOARD', `记录 ${entry.recordNo} 不在本村本期公示栏上，请核对村名、月份和编号 / entry is not on this board`);
      const town = await this.repo.townSettings(c.townId, m);
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
    const result = await this.repo.transaction(async (m) => {
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
          if (c.state === 'finalized') await this.finalizing.postEntries(m, c, [o.entryId]);
        }
      }
      await this.notices.recordObjectionAnswered(m, id);
      await this.audit.record(ctx, { action: 'objection.answer', targetType: 'objection', targetId: id, summary: { outcome: dto.outcome, entryId: o.entryId } }, m);
      return { answered, cycle: c };
    });
    await this.boards.invalidate(result.cycle.villageId, result.cycle.period);
    if (result.cycle.state === 'finalized') await this.finalizing.afterPosting(result.cycle);
    return result.answered;
  }

  async listObjections(ctx: RequestContext, q: { villageId?: string; overdue?: string; open?: string }): Promise<ObjectionRow[]> {
    if (q.villageId) await this.scope.village(ctx.principal, q.villageId);
    const villageId = q.villageId ?? (ctx.principal.kind === 'staff' ? (ctx.principal.villageId ?? undefined) : undefined);
    return this.repo.listObjections({ townId: ctx.principal.townId, villageId, overdueOnly: q.overdue === 'true', openOnly: q.open === 'true' });
  }
}
