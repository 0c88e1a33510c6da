import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { fieldProblem } from '@app/common/http/validation-messages';
import { isUniqueViolation } from '@app/common/idempotency';
import { shanghaiPeriod } from '@app/common/time';
import { CorrectionsRepository } from './corrections.repository';
import type { CorrectionDto, CreateCorrectionDto, CreateOpeningBalancesDto, OpeningBalancesResultDto } from './ledger.dto';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';

/**
 * Corrections of posted deeds and the opening balances of the paper era: each a record of its
 * own (a correction row, an audit row) and postings through LedgerService, in one transaction.
 */
@Injectable()
export class CorrectionsService {
  constructor(
    private readonly ledger: LedgerService,
    private readonly ledgerRepo: LedgerRepository,
    private readonly repo: CorrectionsRepository,
    private readonly audit: AuditService,
    private readonly scope: ScopeService,
  ) {}

  // ---- corrections -------------------------------------------------------------------------

  /**
   * A reversal (−(original + earlier amount corrections): the deed's net effect undone) or a
   * corrective amount, recorded with its reason and posted as a 'correction' posting whose
   * source is the correction row. Only deed postings; nothing after a reversal.
   */
  async correct(ctx: RequestContext, dto: CreateCorrectionDto): Promise<CorrectionDto> {
    if (dto.type === 'reversal' && dto.points !== undefined) {
      throw new AppError('VALIDATION.FAILED', undefined, [fieldProblem('points', 'isEmpty', '冲正（reversal）不能填写积分，积分取自被冲正的记账', 'points is not allowed for a reversal', '积分')]);
    }
    // One transaction: correction row, its posting and the audit record stand or fall together.
    return this.ledgerRepo.transaction(async (m) => {
      const original = await this.repo.findPostingWithResident(m, dto.postingId);
      if (!original) throw new AppError('LEDGER.POSTING_NOT_FOUND');
      this.scope.assertVillage(ctx.principal, { id: original.residentVillageId, townId: original.residentTownId });
      if (original.kind !== 'deed') throw new AppError('LEDGER.NOT_CORRECTABLE', undefined, { postingId: original.id, kind: original.kind });
      // The account lock serialises corrections of one resident, so "already reversed" cannot race.
      await this.ledgerRepo.lockAccounts(m, [original.accountId]);
      const prior = await this.repo.listCorrectionsOf(m, original.id);
      if (prior.some((c) => c.type === 'reversal')) throw new AppError('LEDGER.ALREADY_REVERSED', undefined, { postingId: original.id });
      const points = dto.type === 'reversal' ? -(original.points + prior.reduce((s, c) => s + c.points, 0)) : (dto.points as number);
      const correction = await this.repo
        .insertCorrection(m, {
          townId: original.townId,
          residentId: original.accountId,
          originalPostingId: original.id,
          type: dto.type,
          points,
          reason: dto.reason,
          createdBy: ctx.principal.id,
        })
        .catch((err: { code?: string }) => {
          if (isUniqueViolation(err)) throw new AppError('LEDGER.ALREADY_REVERSED', undefined, { postingId: original.id });
          throw err;
        });
      const label = dto.type === 'reversal' ? '冲正' : '更正';
      const result = await this.ledger.postBatch(
        [
          {
            accountId: original.accountId,
            kind: 'correction',
            points,
            sourceRef: correction.id,
            counterparty: original.counterparty,
            // The original's period: a correction counts for the rating year of the deed it corrects.
            period: original.period,
            itemCode: original.itemCode,
            memo: `${label} #${original.id}：${dto.reason}`,
          },
        ],
        m,
      );
      const posting = result.postings[0];
      await this.audit.record(
        ctx,
        {
          action: 'ledger.correct',
          targetType: 'posting',
          targetId: original.id,
          townId: original.townId,
          summary: { correctionId: correction.id, type: dto.type, points, reason: dto.reason, residentId: original.accountId, postingId: posting.id },
        },
        m,
      );
      return {
        correctionId: correction.id,
        type: dto.type,
        originalPostingId: original.id,
        residentId: original.accountId,
        points,
        reason: dto.reason,
        postingId: posting.id,
        seq: posting.seq,
        balance: posting.balanceAfter,
        creditScore: posting.creditScoreAfter,
      };
    });
  }

  // ---- opening balances --------------------------------------------------------------------

  /** Carried-over balances from the paper era: once per resident, all lines or none. */
  async recordOpeningBalances(ctx: RequestContext, dto: CreateOpeningBalancesDto): Promise<OpeningBalancesResultDto> {
    const townId = ctx.principal.townId;
    const ids = dto.lines.map((l) => l.residentId.toLowerCase());
    const dupes = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
    if (dupes.length) throw new AppError('LEDGER.DUPLICATE_LINES', undefined, { residentIds: dupes });
    // One transaction: every line posts, or (a resident out of town, one already opened) none.
    return this.ledgerRepo.transaction(async (m) => {
      const inTown = new Set(await this.repo.findResidentsInTown(m, townId, ids));
      const outside = ids.filter((id) => !inTown.has(id));
      if (outside.length) throw new AppError('AUTH.OUT_OF_SCOPE', '村民不在本镇 / residents outside your town', { residentIds: outside });
      const period = shanghaiPeriod(new Date());
      const result = await this.ledger.postBatch(
        dto.lines.map((l, i) => ({
          accountId: ids[i],
          kind: 'opening_balance' as const,
          points: l.points,
          sourceRef: `opening:${ids[i]}`,
          counterparty: `town:${townId}`,
          period,
          memo: l.note ? `期初余额（${dto.sourceDocument}）：${l.note}` : `期初余额（${dto.sourceDocument}）`,
        })),
        m,
      );
      if (result.skipped > 0) {
        throw new AppError('LEDGER.OPENING_BALANCE_EXISTS', undefined, { residentIds: result.skippedRequests.map((r) => r.accountId) });
      }
      const totalPoints = dto.lines.reduce((s, l) => s + l.points, 0);
      await this.audit.record(
        ctx,
        { action: 'ledger.opening_balances', targetType: 'town', targetId: townId, summary: { sourceDocument: dto.sourceDocument, lines: dto.lines.length, totalPoints } },
        m,
      );
      return { posted: result.posted, totalPoints, sourceDocument: dto.sourceDocument, period };
    });
  }
}
