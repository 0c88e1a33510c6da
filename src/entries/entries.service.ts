import { hashRequest, isUniqueViolation } from '@app/common/idempotency';
import { nextPeriod, periodOf } from '@app/common/time';
import { entriesCreatedTotal } from '@app/metrics/metrics';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService, type VillageRef } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import type { CreateEntryDto, EntryDto, EntryPageDto, EntryPreviewDto } from './entries.dto';
import { CycleGateService } from '@app/review/cycle-gate.service';
import { EntriesRepository, type EntryView, type ResidentForEntry } from './entries.repository';
import { EntryPreparationService, throwFirstProblem, type EntryInput } from './entry-preparation.service';
import { explainRule } from '@app/scoring/rules/rule-engine';

/**
 * Deed entries: what village clerks type in. The rule engine decides the points (the client
 * never does); the entry goes to the period of its deed month while that cycle is open (else to
 * the next open one, marked late); content is immutable and its life is a stream of events.
 */
@Injectable()
export class EntriesService {
  constructor(
    private readonly repo: EntriesRepository,
    private readonly preparation: EntryPreparationService,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
    private readonly cycles: CycleGateService,
  ) {}

  async create(ctx: RequestContext, villageId: string, dto: CreateEntryDto): Promise<{ entry: EntryDto; replayed: boolean }> {
    const village = await this.scope.village(ctx.principal, villageId);
    const requestHash = hashRequest({ villageId, ...dto, idempotencyKey: undefined });
    if (dto.idempotencyKey) {
      const prior = await this.replay(village.id, dto.idempotencyKey, requestHash);
      if (prior) return { entry: prior, replayed: true };
    }
    const input = await this.singleInput(dto, requestHash);
    try {
      const id = await this.repo.transaction(async (m) => {
        const { rows } = throwFirstProblem(await this.preparation.prepare(m, ctx, village, [input], null));
        await this.repo.insertEntries(m, rows);
        await this.audit.record(ctx, { action: 'entry.create', targetType: 'entry', targetId: rows[0].id, summary: { itemCode: rows[0].itemCode, points: rows[0].points, period: rows[0].period, late: rows[0].late } }, m);
        return rows[0].id;
      });
      entriesCreatedTotal.inc({ source: 'single' });
      return { entry: toDto((await this.repo.findEntry(id)) as EntryView), replayed: false };
    } catch (err) {
      // Two requests with the same key raced: the loser answers like a retry would.
      if (isUniqueViolation(err) && dto.idempotencyKey) {
        const prior = await this.replay(village.id, dto.idempotencyKey, requestHash);
        if (prior) return { entry: prior, replayed: true };
      }
      throw err;
    }
  }

  /**
   * The entry the same body would create, scored by the same rule engine over the period's
   * standing entries plus this one, in a READ ONLY transaction: nothing is created or locked.
   * Same validation and error codes as create.
   */
  async preview(ctx: RequestContext, villageId: string, dto: CreateEntryDto): Promise<EntryPreviewDto> {
    const village = await this.scope.village(ctx.principal, villageId);
    const input = await this.singleInput(dto, '');
    const [row] = await this.repo.readOnly(async (m) => throwFirstProblem(await this.preparation.prepare(m, ctx, village, [input], null, { dryRun: true })).rows);
    const item = row.item;
    return {
      period: row.period,
      late: row.late,
      occurredOn: row.occurredOn,
      residentId: row.residentId,
      residentName: (input.resident as ResidentForEntry).name,
      itemCode: item.code,
      itemName: item.name,
      category: item.category,
      points: row.points,
      explanation: row.explanation,
      rule: explainRule({ code: item.code, sign: item.sign, rule: item.rule, caps: item.caps ?? undefined }),
      duplicateOf: row.duplicateOf,
    };
  }

  private async singleInput(dto: CreateEntryDto, requestHash: string): Promise<EntryInput> {
    const [resident] = await this.repo.findResidentsById([dto.residentId]);
    if (!resident) throw new AppError('ENTRY.RESIDENT_NOT_FOUND');
    return {
      row: 0,
      resident,
      itemCode: dto.itemCode,
      occurredOn: dto.occurredOn,
      quantity: dto.quantity ?? null,
      chosenPoints: dto.points ?? null,
      reason: dto.reason ?? null,
      evidenceNote: dto.evidenceNote ?? null,
      idempotencyKey: dto.idempotencyKey ?? null,
      requestHash,
    };
  }

  async withdraw(ctx: RequestContext, entryId: string, reason: string): Promise<EntryDto> {
    const entry = await this.repo.findEntry(entryId);
    if (!entry) throw new AppError('ENTRY.NOT_FOUND');
    const village = await this.scope.village(ctx.principal, entry.villageId);
    await this.repo.transaction(async (m) => {
      const state = await this.cycles.lockForEntry(m, village.townId, village.id, entry.period);
      if (state !== 'open') throw new AppError('CYCLE.NOT_OPEN');
      if (!(await this.repo.transitionState(m, entryId, ['submitted'], 'withdrawn'))) throw new AppError('ENTRY.NOT_WITHDRAWABLE');
      await this.repo.appendEvent(m, { townId: village.townId, entryId, type: 'withdrawn', actorId: ctx.principal.id, reason });
      await this.audit.record(ctx, { action: 'entry.withdraw', targetType: 'entry', targetId: entryId, summary: { reason, before: 'submitted', after: 'withdrawn' } }, m);
    });
    return toDto((await this.repo.findEntry(entryId)) as EntryView);
  }

  async list(ctx: RequestContext, villageId: string, q: { period?: string; status?: string; residentId?: string; itemCode?: string; after?: string; limit?: number }): Promise<EntryPageDto> {
    const village = await this.scope.village(ctx.principal, villageId);
    const period = q.period ?? (await this.currentOpenPeriod(village));
    const limit = q.limit ?? 100;
    const rows = await this.repo.listEntries({ villageId: village.id, period, status: q.status, residentId: q.residentId, itemCode: q.itemCode, after: q.after, limit: limit + 1 });
    const items = rows.slice(0, limit).map(toDto);
    const open = await this.cycles.openPeriods(village.id);
    const current = await this.currentOpenPeriod(village);
    const openPeriods = [...new Set([...open, current])].sort();
    return { items, period, openPeriods, next: rows.length > limit ? items[items.length - 1].id : null };
  }

  async get(ctx: RequestContext, entryId: string): Promise<EntryDto> {
    const entry = await this.repo.findEntry(entryId);
    if (!entry) throw new AppError('ENTRY.NOT_FOUND');
    await this.scope.village(ctx.principal, entry.villageId);
    return toDto(entry);
  }

  /** The list's default period: this month, or the next one if this month was closed early. */
  private async currentOpenPeriod(village: VillageRef): Promise<string> {
    const current = periodOf(new Date());
    const state = await this.cycles.stateOf(village.id, current);
    return state === null || state === 'open' ? current : nextPeriod(current);
  }

  private async replay(villageId: string, key: string, requestHash: string): Promise<EntryDto | null> {
    const prior = await this.repo.findByIdempotencyKey(villageId, key);
    if (!prior) return null;
    if (prior.requestHash !== requestHash) throw new AppError('ENTRY.IDEMPOTENCY_CONFLICT');
    return toDto(prior);
  }
}

export function toDto(e: EntryView): EntryDto {
  return {
    id: e.id,
    villageId: e.villageId,
    residentId: e.residentId,
    residentName: e.residentName,
    cardCode: e.cardCode,
    itemCode: e.itemCode,
    itemName: e.itemName,
    category: e.category,
    period: e.period,
    occurredOn: e.occurredOn,
    late: e.late,
    quantity: e.quantity,
    chosenPoints: e.chosenPoints,
    points: e.points,
    finalPoints: e.finalPoints,
    explanation: e.explanation,
    reason: e.reason,
    evidenceNote: e.evidenceNote,
    status: e.status,
    disputed: e.disputed,
    duplicateOf: e.duplicateOf,
    enteredBy: e.enteredBy,
    enteredAt: e.enteredAt,
    recordNo: e.recordNo,
  };
}
