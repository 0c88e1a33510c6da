import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { isUniqueViolation } from '@app/common/idempotency';
import { isCalendarDate } from '@app/common/time';
import { ReadReplica } from '@app/database/read-replica';
import { LedgerService } from '@app/ledger/ledger.service';
import { DEFAULT_GRADE_THRESHOLDS, gradeFor, validateGradeThresholds, type GradeThresholds } from '@app/scoring/grade';
import type { CreateHouseholdDto, CreateVillageDto, HouseholdDetailDto, HouseholdDto, TownDto, UpdateTownSettingsDto, UpdateVillageBoardDto, VillageDto } from './org.dto';
import { OrgRepository, TOWN_SETTING_COLUMNS, type TownRow, type TownSettings } from './org.repository';

/** Towns, their settings, villages and households. Other features read town settings from here. */
@Injectable()
export class OrgService {
  constructor(
    private readonly repo: OrgRepository,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
    private readonly ledger: LedgerService,
    private readonly replica: ReadReplica,
  ) {}

  /** The town's settings with defaults applied, for features that compute with them. */
  async townSettings(townId: string): Promise<TownRow & { gradeThresholds: GradeThresholds }> {
    const town = await this.repo.findTown(townId);
    if (!town) throw new AppError('ORG.TOWN_NOT_FOUND');
    return { ...town, gradeThresholds: town.gradeThresholds ?? DEFAULT_GRADE_THRESHOLDS };
  }

  async currentTown(ctx: RequestContext): Promise<TownDto> {
    const town = await this.repo.findTown(ctx.principal.townId);
    if (!town) throw new AppError('ORG.TOWN_NOT_FOUND');
    return toTownDto(town);
  }

  async updateSettings(ctx: RequestContext, dto: UpdateTownSettingsDto): Promise<TownDto> {
    const patch = this.checkSettings(dto);
    // The before/after in the audit row must describe exactly this change, so the row is locked.
    const town = await this.repo.transaction(async (m) => {
      const before = await this.repo.lockTown(m, ctx.principal.townId);
      if (!before) throw new AppError('ORG.TOWN_NOT_FOUND');
      // Against what is stored too: a make-up workday sent alone may be a holiday saved earlier,
      // and a calendar with a day that is both makes every working-day count throw.
      const holidays = new Set(patch.holidays ?? before.holidays ?? []);
      const both = (patch.makeupWorkdays ?? before.makeupWorkdays ?? []).filter((d) => holidays.has(d));
      if (both.length) {
        throw new AppError('ORG.INVALID_SETTINGS', undefined, [{ field: patch.makeupWorkdays ? 'makeupWorkdays' : 'holidays', problems: both.map((d) => `${d} is both a holiday and a make-up workday`), message: `节假日（holidays）与调休上班日（makeupWorkdays）不能是同一天：${both.join('、')}` }]);
      }
      const after = await this.repo.updateTownSettings(m, before.id, patch);
      const changed = Object.keys(patch) as Array<keyof TownSettings>;
      // A new grade table regrades the town's accounts in this transaction, so no one reads
      // grades from the old table beside the new one.
      const regraded = patch.gradeThresholds !== undefined ? await this.ledger.regradeTown(before.id, after.gradeThresholds ?? DEFAULT_GRADE_THRESHOLDS, m) : undefined;
      await this.audit.record(
        ctx,
        {
          action: 'town.settings.update',
          targetType: 'town',
          targetId: before.id,
          summary: { before: pick(before, changed), after: pick(after, changed), ...(regraded !== undefined && { accountsRegraded: regraded }) },
        },
        m,
      );
      return after;
    });
    return toTownDto(town);
  }

  async createVillage(ctx: RequestContext, dto: CreateVillageDto): Promise<VillageDto> {
    return this.repo
      .transaction(async (m) => {
        const v = await this.repo.insertVillage(m, ctx.principal.townId, dto.code, dto.name);
        await this.audit.record(ctx, { action: 'village.create', targetType: 'village', targetId: v.id, summary: { code: v.code, name: v.name } }, m);
        return v;
      })
      .catch(uniqueViolation('ORG.VILLAGE_CODE_TAKEN'));
  }

  async updateVillageBoard(ctx: RequestContext, villageId: string, dto: UpdateVillageBoardDto): Promise<VillageDto> {
    await this.scope.village(ctx.principal, villageId);
    const patch = { committee: dto.committee, contactPhone: dto.contactPhone };
    if (patch.committee === undefined && patch.contactPhone === undefined) {
      throw new AppError('ORG.INVALID_SETTINGS', undefined, [{ field: '*', problems: ['nothing to change'], message: '没有要修改的设置：请至少填写一项 / nothing to change' }]);
    }
    return this.repo.transaction(async (m) => {
      const before = await this.repo.findVillage(villageId, m);
      const after = (await this.repo.updateVillageBoardSettings(m, villageId, patch)) as VillageDto;
      await this.audit.record(
        ctx,
        { action: 'village.board_settings.update', targetType: 'village', targetId: villageId, summary: { before: { committee: before?.committee, contactPhone: before?.contactPhone }, after: { committee: after.committee, contactPhone: after.contactPhone } } },
        m,
      );
      return after;
    });
  }

  listVillages(ctx: RequestContext): Promise<VillageDto[]> {
    const own = ctx.principal.kind === 'staff' ? ctx.principal.villageId : null;
    return this.repo.listVillages(ctx.principal.townId, own);
  }

  async createHousehold(ctx: RequestContext, villageId: string, dto: CreateHouseholdDto): Promise<HouseholdDto> {
    const village = await this.scope.village(ctx.principal, villageId);
    const h = await this.repo
      .transaction(async (m) => {
        const row = await this.repo.insertHousehold(m, { townId: village.townId, villageId, code: dto.code, address: dto.address ?? null });
        await this.audit.record(ctx, { action: 'household.create', targetType: 'household', targetId: row.id, summary: { villageId, code: row.code } }, m);
        return row;
      })
      .catch(uniqueViolation('ORG.HOUSEHOLD_CODE_TAKEN'));
    return { id: h.id, villageId: h.villageId, code: h.code, address: h.address, residentCount: 0 };
  }

  async listHouseholds(ctx: RequestContext, villageId: string): Promise<HouseholdDto[]> {
    await this.scope.village(ctx.principal, villageId);
    const rows = await this.replica.read({ who: ctx.principal }, (db) => this.repo.listHouseholds(villageId, db));
    return rows.map((h) => ({ id: h.id, villageId: h.villageId, code: h.code, address: h.address, residentCount: h.residentCount }));
  }

  /** The household page: members with balance and grade from their accounts, and the total. */
  async getHousehold(ctx: RequestContext, id: string): Promise<HouseholdDetailDto> {
    // The household and its members on the read replica when there is one and it has what this
    // user last wrote (ReadReplica); one pick for both, so they agree.
    const { h, rows } = await this.replica.read({ who: ctx.principal }, async (db) => {
      const found = await this.repo.findHousehold(id, db);
      return { h: found, rows: found ? await this.repo.householdMembers(id, db) : [] };
    });
    if (!h) throw new AppError('ORG.HOUSEHOLD_NOT_FOUND');
    this.scope.assertVillage(ctx.principal, { id: h.villageId, townId: h.townId });
    const town = await this.townSettings(h.townId);
    // A resident with no posting yet has no account row; the projection would start them at
    // balance 0 and the town's base score, so that is what is shown.
    const members = rows.map((r) => {
      const creditScore = r.creditScore ?? town.baseScore;
      return { ...r, balance: r.balance ?? 0, creditScore, grade: r.grade ?? gradeFor(creditScore, town.gradeThresholds), hasAccount: r.balance !== null };
    });
    return { id: h.id, villageId: h.villageId, villageName: h.villageName, code: h.code, address: h.address, members, totalBalance: members.reduce((sum, m) => sum + m.balance, 0) };
  }

  private checkSettings(dto: UpdateTownSettingsDto): Partial<TownSettings> {
    const patch: Partial<TownSettings> = {};
    const problems: Array<{ field: string; problems: string[]; message: string }> = [];
    for (const key of Object.keys(TOWN_SETTING_COLUMNS) as Array<keyof TownSettings>) {
      if (dto[key] !== undefined) Object.assign(patch, { [key]: dto[key] });
    }
    if (Object.keys(patch).length === 0) problems.push({ field: '*', problems: ['nothing to change'], message: '没有要修改的设置：请至少填写一项 / nothing to change' });
    if (dto.gradeThresholds !== undefined) {
      const p = validateGradeThresholds(dto.gradeThresholds);
      if (p.length) problems.push({ field: 'gradeThresholds', problems: p, message: `等级表（gradeThresholds）不正确：应为非空数组，每行一个不重复的等级（grade）和整数最低分（min），按最低分从高到低排列 / ${p.join('; ')}` });
    }
    for (const field of ['holidays', 'makeupWorkdays'] as const) {
      const days = dto[field];
      if (!days) continue;
      const bad = days.filter((d) => !isCalendarDate(d));
      if (bad.length) problems.push({ field, problems: bad.map((d) => `${d} is not a calendar date`), message: `${field === 'holidays' ? '节假日' : '调休上班日'}（${field}）中有不存在的日期：${bad.join('、')}，应为 YYYY-MM-DD / not a calendar date` });
      patch[field] = [...new Set(days)].sort();
    }
    if (problems.length) throw new AppError('ORG.INVALID_SETTINGS', undefined, problems);
    return patch;
  }
}

function toTownDto(t: TownRow): TownDto {
  return { ...t, gradeThresholds: t.gradeThresholds ?? DEFAULT_GRADE_THRESHOLDS, customGradeThresholds: t.gradeThresholds !== null };
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

/** Maps PostgreSQL's unique violation to a domain code; other errors pass through. */
function uniqueViolation(code: 'ORG.VILLAGE_CODE_TAKEN' | 'ORG.HOUSEHOLD_CODE_TAKEN') {
  return (err: unknown): never => {
    if (isUniqueViolation(err)) throw new AppError(code);
    throw err;
  };
}
