import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import type { CardSheetDto, ResidentAccessTokenDto, RevokeResultDto } from './resident.dto';
import { ResidentPageRepository, type CardResident } from './resident.repository';
import { newResidentToken, residentPagePath, residentTokenHash } from './resident-token';

/**
 * Issuing, reissuing and revoking residents' access tokens (the personal QR on the points card),
 * by the village (its clerk) or the town admin. A token is answered once, when it is made: only
 * its hash is kept, so a card sheet is printed from the answer that made its tokens, and printing
 * again means new tokens (the old cards' QR stop working at once).
 */
@Injectable()
export class ResidentAccessService {
  constructor(
    private readonly repo: ResidentPageRepository,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
  ) {}

  async issue(ctx: RequestContext, residentId: string): Promise<ResidentAccessTokenDto> {
    // Revoking the old token, storing the new one and the audit row commit together, under the
    // resident's row lock: two reissues at once leave exactly one live token.
    return this.repo.transaction(async (m) => {
      const r = await this.repo.lockCardResident(m, residentId);
      if (!r) throw new AppError('RESIDENT.NOT_FOUND');
      this.scope.assertVillage(ctx.principal, { id: r.villageId, townId: r.townId });
      if (r.status !== 'active') throw new AppError('RESIDENT.NOT_ACTIVE');
      const [card] = await this.reissue(m, ctx, [r], 'single');
      return { residentId, token: card.token, pagePath: residentPagePath(card.token), issuedAt: card.issuedAt, revokedPrevious: card.revokedPrevious };
    });
  }

  async revoke(ctx: RequestContext, residentId: string): Promise<RevokeResultDto> {
    return this.repo.transaction(async (m) => {
      const r = await this.repo.lockCardResident(m, residentId);
      if (!r) throw new AppError('RESIDENT.NOT_FOUND');
      this.scope.assertVillage(ctx.principal, { id: r.villageId, townId: r.townId });
      const revoked = (await this.repo.revokeLiveTokens(m, [residentId], ctx.principal.id)).length > 0;
      if (revoked) await this.audit.record(ctx, { action: 'resident.access_token_revoke', targetType: 'resident', targetId: residentId, townId: r.townId }, m);
      return { residentId, revoked };
    });
  }

  /** New tokens for every active resident of the village (or of one household), and what their cards print. */
  async cardSheet(ctx: RequestContext, villageId: string, householdId: string | null): Promise<CardSheetDto> {
    await this.scope.village(ctx.principal, villageId);
    if (householdId && !(await this.repo.householdInVillage(householdId, villageId))) throw new AppError('ORG.HOUSEHOLD_NOT_FOUND');
    const names = await this.repo.villageNames(villageId);
    if (!names) throw new AppError('ORG.VILLAGE_NOT_FOUND');
    return this.repo.transaction(async (m) => {
      const residents = await this.repo.lockActiveCardResidents(m, villageId, householdId);
      if (residents.length === 0) throw new AppError('RESIDENT.NO_ACTIVE_RESIDENTS');
      const cards = await this.reissue(m, ctx, residents, householdId ? 'household_sheet' : 'village_sheet');
      return {
        villageId,
        villageName: names.villageName,
        townName: names.townName,
        householdCode: householdId ? residents[0].householdCode : null,
        issuedAt: cards[0].issuedAt,
        cards: residents.map((r, i) => ({ residentId: r.id, name: r.name, householdCode: r.householdCode, cardCode: r.cardCode, token: cards[i].token, pagePath: residentPagePath(cards[i].token) })),
      };
    });
  }

  /** Revokes the live tokens of these (locked) residents and makes one new token each, with an audit row per resident. */
  private async reissue(m: EntityManager, ctx: RequestContext, residents: CardResident[], via: string) {
    const revoked = new Set(await this.repo.revokeLiveTokens(m, residents.map((r) => r.id), ctx.principal.id));
    const tokens = residents.map(() => newResidentToken());
    const issuedAt = await this.repo.insertTokens(
      m,
      residents.map((r, i) => ({ townId: r.townId, villageId: r.villageId, residentId: r.id, tokenHash: residentTokenHash(tokens[i]) })),
      ctx.principal.id,
    );
    for (const r of residents) {
      await this.audit.record(ctx, { action: 'resident.access_token_issue', targetType: 'resident', targetId: r.id, townId: r.townId, summary: { via, revokedPrevious: revoked.has(r.id) } }, m);
    }
    return residents.map((r, i) => ({ token: tokens[i], issuedAt, revokedPrevious: revoked.has(r.id) }));
  }
}
