import { Injectable } from '@nestjs/common';
import { BoardService } from '@app/board/board.service';
import { AppError } from '@app/common/errors/app-error';
import { CheckpointProofService } from '@app/ledger/checkpoint-proof.service';
import { STATEMENT_SCREEN_PAGE, type CheckpointProofDto } from '@app/ledger/ledger.dto';
import { StatementService } from '@app/ledger/statement.service';
import { nextGrade } from './next-grade';
import type { ResidentBoardAnswerDto, ResidentMeDto, ResidentStatementPageDto } from './resident.dto';
import { ResidentPageRepository, type TokenHolder } from './resident.repository';
import { ResidentLimits } from './resident-limits';
import { isResidentTokenShape, residentTokenHash } from './resident-token';

/**
 * The phone page's data, for the one resident whose token came with the request: their
 * balance, credit score and grade (and what the next grade needs), their explained statement,
 * and the current board of their village with their own lines marked. Read-only.
 */
@Injectable()
export class ResidentPageService {
  constructor(
    private readonly repo: ResidentPageRepository,
    private readonly statements: StatementService,
    private readonly boards: BoardService,
    private readonly proofs: CheckpointProofService,
    private readonly limits: ResidentLimits,
  ) {}

  /**
   * Who the token belongs to. One answer for a missing, malformed, unknown or revoked token (nothing
   * tells them apart); a client sending many wrong ones is refused for the rest of the minute
   * before any lookup. 144-bit tokens make guessing hopeless anyway: the limit spares the database.
   */
  async authenticate(token: unknown, clientIp: string): Promise<TokenHolder> {
    if (!(await this.limits.take('client', clientIp))) throw new AppError('RATE.LIMITED');
    // No token at all is no guess (a link opened without its fragment): refused, not counted as wrong.
    if (token === undefined || token === '') throw new AppError('RESIDENT.TOKEN_INVALID');
    if (!isResidentTokenShape(token)) {
      if (!(await this.limits.take('bad_token', clientIp))) throw new AppError('RATE.LIMITED');
      throw new AppError('RESIDENT.TOKEN_INVALID');
    }
    const hash = residentTokenHash(token);
    const holder = await this.repo.findLiveToken(hash);
    if (!holder) {
      if (!(await this.limits.take('bad_token', clientIp))) throw new AppError('RATE.LIMITED');
      throw new AppError('RESIDENT.TOKEN_INVALID');
    }
    if (!(await this.limits.take('token', hash))) throw new AppError('RATE.LIMITED');
    return holder;
  }

  async me(holder: TokenHolder): Promise<ResidentMeDto> {
    const [s, names, thresholds] = await Promise.all([
      this.statements.ownStatement(holder.residentId, { limit: STATEMENT_SCREEN_PAGE }),
      this.repo.townAndVillageNames(holder.residentId),
      this.repo.gradeThresholdsOf(holder.townId),
    ]);
    if (!names) throw new AppError('RESIDENT.TOKEN_INVALID');
    return {
      name: s.residentName,
      villageName: names.villageName,
      townName: names.townName,
      balance: s.currentBalance,
      creditScore: s.currentCreditScore,
      grade: s.currentGrade,
      nextGrade: nextGrade(s.currentCreditScore, thresholds),
      lines: [...s.lines].reverse(),
      earlierLines: s.earlierLines,
    };
  }

  /** The 50 lines before `beforeSeq` of the resident's own statement, newest first (the phone page's 查看更早的记录). */
  async earlier(holder: TokenHolder, beforeSeq: number): Promise<ResidentStatementPageDto> {
    const s = await this.statements.ownStatement(holder.residentId, { limit: STATEMENT_SCREEN_PAGE, beforeSeq });
    return { lines: [...s.lines].reverse(), earlierLines: s.earlierLines };
  }

  /** The inclusion proof of this resident's account head in their village's latest checkpoint (checked in the browser). */
  proof(holder: TokenHolder): Promise<CheckpointProofDto> {
    return this.proofs.proofFor(holder.residentId);
  }

  async board(holder: TokenHolder, now = new Date()): Promise<ResidentBoardAnswerDto> {
    const period = await this.repo.latestBoardPeriod(holder.villageId);
    if (!period) return { board: null };
    // Base '': the board's own addresses come out relative (/board/…), right on the page's own origin.
    const [b, mine] = await Promise.all([this.boards.board(holder.villageId, period, '', now), this.repo.entryIdsOf(holder.residentId, holder.villageId, period)]);
    const own = new Set(mine);
    return {
      board: {
        villageId: b.villageId,
        period: b.period,
        state: b.state,
        publishedAt: b.publishedAt,
        windowEndsAt: b.windowEndsAt,
        objectionOpen: b.objectionOpen,
        howToObject: b.howToObject,
        // Only this resident's lines: the board content keeps no resident ids, so they are found by entry id.
        myLines: b.residents.flatMap((r) => r.lines.filter((l) => own.has(l.entryId))).map((l) => ({ ...l, objectable: b.objectionOpen && l.status !== 'revoked' })),
        totals: b.totals,
        redList: b.redList,
        blackList: b.blackList,
        checkpointHash: b.checkpointHash,
        boardPagePath: `/api/v1/public/boards/${b.villageId}/${b.period}.html`,
      },
    };
  }
}
