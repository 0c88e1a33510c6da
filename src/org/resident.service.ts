import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { isUniqueViolation } from '@app/common/idempotency';
import { maskName } from '@app/common/mask-name';
import { shanghaiDate } from '@app/common/time';
import { ReadReplica } from '@app/database/read-replica';
import { generateCardCode } from './card-code';
import { IdHasher } from './id-hasher';
import type { ChangeResidentStatusDto, CreateResidentDto, ListResidentsQuery, ResidentDto, ResidentMatchListDto, ResidentPageDto, SearchResidentsQuery } from './resident.dto';
import { OrgRepository, type ResidentRow } from './org.repository';
import { allowedNextStatuses, canChangeStatus } from './resident-status';

const DEFAULT_PAGE_SIZE = 50;
const DEFAULT_SEARCH_RESULTS = 20;
const CARD_CODE_ATTEMPTS = 5;

/** Residents: registered one by one here or by roster import; never deleted, only re-statused. */
@Injectable()
export class ResidentService {
  constructor(
    private readonly repo: OrgRepository,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
    private readonly ids: IdHasher,
    private readonly replica: ReadReplica,
  ) {}

  async create(ctx: RequestContext, villageId: string, dto: CreateResidentDto): Promise<ResidentDto> {
    const village = await this.scope.village(ctx.principal, villageId);
    const id = this.ids.digest(dto.nationalId);
    const mismatch = [
      dto.gender !== undefined && dto.gender !== id.gender ? 'gender' : null,
      dto.birthYear !== undefined && dto.birthYear !== id.birthYear ? 'birthYear' : null,
    ].filter((f) => f !== null);
    if (mismatch.length) throw new AppError('RESIDENT.ID_MISMATCH', undefined, { fields: mismatch });

    const residentId = await this.repo
      .transaction(async (m) => {
        const villageRow = await this.repo.findVillage(villageId, m);
        if (!(await this.repo.findHouseholdInVillage(dto.householdId, villageId, m))) throw new AppError('ORG.HOUSEHOLD_NOT_FOUND');
        if ((await this.repo.findByIdHashes(m, [id.idHash])).length) throw new AppError('RESIDENT.DUPLICATE_ID');
        const cardCode = dto.cardCode ?? (await this.freeCardCode(m, villageRow?.code ?? ''));
        if (dto.cardCode && (await this.repo.cardCodesInUse(m, [dto.cardCode])).size) throw new AppError('RESIDENT.DUPLICATE_CARD_CODE');
        const [rid] = await this.repo.insertResidents(m, village.townId, villageId, [
          { householdId: dto.householdId, name: dto.name.trim(), gender: id.gender, birthYear: id.birthYear, cardCode, phone: dto.phone ?? null, smsConsent: dto.smsConsent ?? false, idHash: id.idHash, idLast4: id.idLast4 },
        ]);
        await this.repo.insertStatusEvents(m, [
          { townId: village.townId, residentId: rid as string, fromStatus: null, toStatus: 'active', effectiveOn: shanghaiDate(), reason: '登记 / registered', actorId: ctx.principal.id },
        ]);
        await this.audit.record(ctx, { action: 'resident.create', targetType: 'resident', targetId: rid, summary: { villageId, cardCode, idLast4: id.idLast4 } }, m);
        return rid as string;
      })
      .catch(residentUniqueViolation);
    return toResidentDto((await this.repo.findResident(residentId)) as ResidentRow);
  }

  async list(ctx: RequestContext, villageId: string, q: ListResidentsQuery): Promise<ResidentPageDto> {
    await this.scope.village(ctx.principal, villageId);
    const limit = q.limit ?? DEFAULT_PAGE_SIZE;
    const offset = q.offset ?? 0;
    const page = await this.repo.listResidents(villageId, { status: q.status, q: q.q, householdId: q.household }, limit, offset);
    return { items: page.items.map(toResidentDto), total: page.total, limit, offset };
  }

  /** The login's town only: the town comes from the principal, never from the query. */
  async search(ctx: RequestContext, q: SearchResidentsQuery): Promise<ResidentMatchListDto> {
    const limit = q.limit ?? DEFAULT_SEARCH_RESULTS;
    // A look-up: the read replica when there is one and it has what this user last wrote.
    const rows = await this.replica.read({ who: ctx.principal }, (db) => this.repo.searchTownResidents(ctx.principal.townId, q.q.trim(), limit + 1, db));
    return { items: rows.slice(0, limit), more: rows.length > limit };
  }

  async get(ctx: RequestContext, id: string): Promise<ResidentDto> {
    return toResidentDto(await this.findInScope(ctx, id));
  }

  async changeStatus(ctx: RequestContext, id: string, dto: ChangeResidentStatusDto): Promise<ResidentDto> {
    const before = await this.findInScope(ctx, id);
    if (dto.effectiveOn > shanghaiDate()) throw new AppError('RESIDENT.INVALID_EFFECTIVE_DATE');
    const refuse = (from: string) => new AppError('RESIDENT.INVALID_STATUS_TRANSITION', undefined, { from, to: dto.to, allowed: allowedNextStatuses(before.status) });
    if (!canChangeStatus(before.status, dto.to)) throw refuse(before.status);
    await this.repo.transaction(async (m) => {
      // Compare-and-set on the status read above: a concurrent change makes this one refused, not lost.
      if (!(await this.repo.updateResidentStatus(m, id, before.status, dto.to))) throw refuse('(changed concurrently)');
      await this.repo.insertStatusEvents(m, [
        { townId: before.townId, residentId: id, fromStatus: before.status, toStatus: dto.to, effectiveOn: dto.effectiveOn, reason: dto.reason, actorId: ctx.principal.id },
      ]);
      await this.audit.record(
        ctx,
        { action: 'resident.status', targetType: 'resident', targetId: id, summary: { from: before.status, to: dto.to, effectiveOn: dto.effectiveOn, reason: dto.reason } },
        m,
      );
    });
    return toResidentDto((await this.repo.findResident(id)) as ResidentRow);
  }

  private async findInScope(ctx: RequestContext, id: string): Promise<ResidentRow> {
    const r = await this.repo.findResident(id);
    if (!r) throw new AppError('RESIDENT.NOT_FOUND');
    this.scope.assertVillage(ctx.principal, { id: r.villageId, townId: r.townId });
    return r;
  }

  private async freeCardCode(m: EntityManager, villageCode: string): Promise<string> {
    for (let i = 0; i < CARD_CODE_ATTEMPTS; i++) {
      const code = generateCardCode(villageCode);
      if (!(await this.repo.cardCodesInUse(m, [code])).size) return code;
    }
    throw new Error('no free card code after several attempts');
  }
}

export function toResidentDto(r: ResidentRow): ResidentDto {
  return { ...r, maskedName: maskName(r.name) };
}

/**
 * The unique indexes are the backstop for two requests registering the same person at once
 * (named in the entity; both are per town, migration ShardReady).
 */
export function residentUniqueViolation(err: unknown): never {
  if (isUniqueViolation(err, { column: 'id_hash' })) throw new AppError('RESIDENT.DUPLICATE_ID');
  if (isUniqueViolation(err, { column: 'card_code' })) throw new AppError('RESIDENT.DUPLICATE_CARD_CODE');
  throw err;
}
