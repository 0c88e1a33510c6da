import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit/audit.service';
import type { Principal, RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { fieldProblem } from '@app/common/http/validation-messages';
import { isUniqueViolation } from '@app/common/idempotency';
import { isCalendarDate, shanghaiDate } from '@app/common/time';
import { OrgService } from '@app/org/org.service';
import { explainRule, validateRule } from '@app/scoring/rules/rule-engine';
import type { ItemCaps, Rule } from '@app/scoring/rules/rule.types';
import type { AdoptVersionDto, CatalogAdoptionDto, CatalogItemDto, CatalogVersionDto, CreateVillageItemDto, ListItemsQuery, RetireVillageItemDto } from './catalog.dto';
import { CatalogRepository, type AdoptionRow, type ItemRow } from './catalog.repository';
import { villageItemLimitViolations } from './village-item-limits';

/**
 * The catalogue in force: which version a town uses on a date, its items and the villages' own
 * items. Entries are scored against the exact item row returned here (`itemInForce`).
 */
@Injectable()
export class CatalogService {
  constructor(
    private readonly repo: CatalogRepository,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
    private readonly org: OrgService,
  ) {}

  /** The version a town has in force on `date` (YYYY-MM-DD, Asia/Shanghai; default today). */
  async versionInForce(townId: string, date: string = shanghaiDate()): Promise<AdoptionRow> {
    const a = await this.repo.adoptionInForce(townId, date);
    if (!a) throw new AppError('CATALOG.NO_VERSION_ADOPTED', undefined, { date });
    return a;
  }

  /** The exact item version an entry of this village on `date` is scored by. */
  async itemInForce(townId: string, villageId: string | null, code: string, date: string = shanghaiDate()): Promise<CatalogItemDto> {
    const version = await this.versionInForce(townId, date);
    const item = await this.repo.findItem(version.versionId, villageId, code, date);
    if (!item) throw new AppError('CATALOG.ITEM_NOT_FOUND', undefined, { code, versionCode: version.versionCode });
    return toItemDto(item);
  }

  async listVersions(ctx: RequestContext): Promise<CatalogVersionDto[]> {
    const [versions, adoptions, inForce] = await Promise.all([
      this.repo.listVersions(),
      this.repo.listAdoptions(ctx.principal.townId),
      this.repo.adoptionInForce(ctx.principal.townId, shanghaiDate()),
    ]);
    return versions.map((v) => ({
      ...v,
      adoptions: adoptions.filter((a) => a.versionId === v.id).map(toAdoptionDto),
      inForce: inForce?.versionId === v.id,
    }));
  }

  async listItems(ctx: RequestContext, q: ListItemsQuery): Promise<CatalogItemDto[]> {
    const today = shanghaiDate();
    const version = await this.versionInForce(ctx.principal.townId, today);
    const villageId = q.includeVillage === 'false' ? null : await this.villageOf(ctx.principal, q.villageId);
    const rows = await this.repo.listItems(version.versionId, villageId, { q: q.q, code: q.code, category: q.category, sign: q.sign }, today);
    return rows.map(toItemDto);
  }

  async getItem(ctx: RequestContext, code: string, villageId: string | undefined): Promise<CatalogItemDto> {
    return this.itemInForce(ctx.principal.townId, await this.villageOf(ctx.principal, villageId), code);
  }

  async adopt(ctx: RequestContext, dto: AdoptVersionDto): Promise<CatalogAdoptionDto> {
    if (!isCalendarDate(dto.effectiveFrom)) throw new AppError('VALIDATION.FAILED', undefined, [fieldProblem('effectiveFrom', 'isDate', '不是真实存在的日期，应如 2027-01-01', 'not a calendar date', '生效日期')]);
    // Entries already scored under the version in force must keep meaning what they meant.
    if (dto.effectiveFrom < shanghaiDate()) throw new AppError('CATALOG.ADOPTION_IN_PAST', undefined, { today: shanghaiDate() });
    const townId = ctx.principal.townId;
    return this.repo
      .transaction(async (m) => {
        const version = await this.repo.findVersionByCode(dto.versionCode, m);
        if (!version) throw new AppError('CATALOG.VERSION_NOT_FOUND');
        const row = await this.repo.insertAdoption(m, townId, version.id, dto.effectiveFrom, ctx.principal.id);
        await this.audit.record(ctx, { action: 'catalog.adopt', targetType: 'catalog_version', targetId: version.id, summary: { versionCode: version.code, effectiveFrom: dto.effectiveFrom } }, m);
        return { versionCode: version.code, effectiveFrom: dto.effectiveFrom, adoptedAt: row.adoptedAt };
      })
      .catch((err: unknown) => {
        if (isUniqueViolation(err)) throw new AppError('CATALOG.ADOPTION_EXISTS', undefined, { effectiveFrom: dto.effectiveFrom });
        throw err;
      });
  }

  async createVillageItem(ctx: RequestContext, villageId: string, dto: CreateVillageItemDto): Promise<CatalogItemDto> {
    const village = await this.scope.village(ctx.principal, villageId);
    const problems = validateRule(dto.rule, dto.caps);
    if (problems.length) throw new AppError('CATALOG.INVALID_RULE', undefined, problems);
    const rule = dto.rule as unknown as Rule;
    const caps = (dto.caps ?? null) as ItemCaps | null;
    const limits = await this.org.townSettings(village.townId);
    const item = await this.repo.transaction(async (m) => {
      await this.repo.lockVillage(m, villageId);
      if (await this.repo.villageItemCodeTaken(m, villageId, dto.code)) throw new AppError('CATALOG.ITEM_CODE_TAKEN');
      const violations = villageItemLimitViolations({ sign: dto.sign, rule, caps }, await this.repo.countVillageItems(m, villageId, shanghaiDate()), limits);
      if (violations.length) throw new AppError('CATALOG.VILLAGE_ITEM_LIMIT', undefined, violations);
      const row = await this.repo.insertVillageItem(m, {
        townId: village.townId,
        villageId,
        code: dto.code,
        category: dto.category,
        name: dto.name,
        description: dto.description,
        sign: dto.sign,
        rule,
        caps,
        createdBy: ctx.principal.id,
      });
      await this.audit.record(ctx, { action: 'catalog.village_item.create', targetType: 'catalog_item', targetId: row.id, summary: { villageId, code: row.code, sign: row.sign, rule } }, m);
      return row;
    });
    return toItemDto(item);
  }

  /**
   * Retires a village item from today: it scores no new deeds from today on (deeds before today
   * may still be entered with it) and frees its place under the town's limits. Its code stays
   * taken, so an entry's item code always names one item.
   */
  async retireVillageItem(ctx: RequestContext, villageId: string, itemId: string, dto: RetireVillageItemDto): Promise<CatalogItemDto> {
    const village = await this.scope.village(ctx.principal, villageId);
    const retiredOn = shanghaiDate();
    const item = await this.repo.transaction(async (m) => {
      await this.repo.lockVillage(m, villageId);
      const found = await this.repo.findVillageItem(m, villageId, itemId);
      if (!found) throw new AppError('CATALOG.ITEM_NOT_FOUND');
      if (found.retiredOn) throw new AppError('CATALOG.ITEM_RETIRED', undefined, { retiredOn: found.retiredOn });
      await this.repo.insertRetirement(m, { itemId, townId: village.townId, villageId, retiredOn, reason: dto.reason, retiredBy: ctx.principal.id });
      await this.audit.record(ctx, { action: 'catalog.village_item.retire', targetType: 'catalog_item', targetId: itemId, summary: { villageId, code: found.code, retiredOn, reason: dto.reason } }, m);
      return { ...found, retiredOn };
    });
    return toItemDto(item);
  }

  async listVillageItems(ctx: RequestContext, villageId: string): Promise<CatalogItemDto[]> {
    await this.scope.village(ctx.principal, villageId);
    return (await this.repo.listVillageItems(villageId)).map(toItemDto);
  }

  /** Village roles: their own village; town roles: the one they ask for (checked), or none. */
  private async villageOf(principal: Principal, requested: string | undefined): Promise<string | null> {
    if (requested) return (await this.scope.village(principal, requested)).id;
    return principal.kind === 'staff' ? principal.villageId : null;
  }
}

function toItemDto(i: ItemRow): CatalogItemDto {
  return { ...i, ruleText: explainRule({ code: i.code, sign: i.sign, rule: i.rule, caps: i.caps ?? undefined }) };
}

function toAdoptionDto(a: AdoptionRow): CatalogAdoptionDto {
  return { versionCode: a.versionCode, effectiveFrom: a.effectiveFrom, adoptedAt: a.adoptedAt };
}
