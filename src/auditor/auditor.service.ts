import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { Principal, RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { fieldProblem } from '@app/common/http/validation-messages';
import { CreditExportService } from '@app/credit-export/credit-export.service';
import { ReadReplica } from '@app/database/read-replica';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { StatementService } from '@app/ledger/statement.service';
import type { StatementDto, StatementQuery } from '@app/ledger/ledger.dto';
import { lateFlags, periodDeadlines } from '@app/board/deadlines';
import type { AuditVerifyDto, PostingFilterQuery, PostingPageDto, PostingSearchQuery, TimelinessDto } from './auditor.dto';
import { AuditorRepository, type PostingFilter, type PostingRow } from './auditor.repository';
import { decodeCursor, page, type KeysetPosition } from './keyset-cursor';
import { EXPORT_BATCH, postingsCsvStream, postingsXlsxStream, type BatchSource } from './postings-export';

export const DEFAULT_PAGE = 50;

function invalid(field: string, zh: string, message: string): AppError {
  return new AppError('VALIDATION.FAILED', undefined, [fieldProblem(field, 'range', zh, message)]);
}

/**
 * The auditors' desk: read-only, whole town. The town always comes from the login, never from
 * the query; a village or resident filter outside it is 403 AUTH.OUT_OF_SCOPE.
 */
@Injectable()
export class AuditorService {
  constructor(
    private readonly repo: AuditorRepository,
    private readonly scope: ScopeService,
    private readonly verifier: LedgerVerifier,
    private readonly statements: StatementService,
    private readonly creditExport: CreditExportService,
    private readonly replica: ReadReplica,
  ) {}

  async searchPostings(ctx: RequestContext, q: PostingSearchQuery): Promise<PostingPageDto> {
    const filter = await this.filter(ctx.principal, q);
    const after = decodeCursor(q.cursor);
    const limit = q.limit ?? DEFAULT_PAGE;
    const who = ctx.principal;
    return page(await this.replica.read({ who }, (db) => this.repo.searchPostings(filter, after, limit + 1, db)), limit);
  }

  /** Validates the filter before the first byte goes out; then streams every match, 5,000 at a time. */
  async exportPostings(ctx: RequestContext, q: PostingFilterQuery, format: 'csv' | 'xlsx'): Promise<Readable> {
    const filter = await this.filter(ctx.principal, q);
    const { repo, replica } = this;
    const who = ctx.principal;
    const batches: BatchSource = async function* () {
      let after: KeysetPosition | null = null;
      for (;;) {
        const position: KeysetPosition | null = after;
        const rows: PostingRow[] = await replica.read({ who }, (db) => repo.searchPostings(filter, position, EXPORT_BATCH, db));
        if (rows.length) yield rows;
        if (rows.length < EXPORT_BATCH) return;
        const last = rows[rows.length - 1];
        after = { at: last.cursorAt, id: last.id };
      }
    };
    return format === 'csv' ? postingsCsvStream(batches) : postingsXlsxStream(batches);
  }

  statement(ctx: RequestContext, residentId: string, q: StatementQuery): Promise<StatementDto> {
    return this.statements.statement(ctx, residentId, q);
  }

  async timeliness(ctx: RequestContext, period: string, now = new Date()): Promise<TimelinessDto> {
    const townId = ctx.principal.townId;
    const [rows, creditExport, closeDay] = await Promise.all([this.repo.timeliness(townId, period), this.creditExport.status(townId), this.repo.townCloseDay(townId)]);
    return {
      period,
      ...periodDeadlines(period, closeDay),
      villages: rows.map(({ cycleId, ...r }) => ({ ...r, ...lateFlags(period, cycleId ? r : null, now, closeDay) })),
      creditExport,
    };
  }

  /**
   * The ledger verifier over the town's accounts and every finalized cycle's checkpoint (v1 flat
   * hash or v2 Merkle root recomputed from the stored heads, compared with the one on the cycle /
   * board, and each head still in the ledger with the same hash), in one snapshot.
   */
  async verify(ctx: RequestContext): Promise<AuditVerifyDto> {
    const { checkpoints, ...ledger } = await this.verifier.verifyTown(ctx.principal.townId);
    const chainsOk = ledger.broken.length === 0;
    const firstLedger = ledger.broken[0];
    const firstCheckpoint = checkpoints.broken[0];
    return {
      ok: ledger.ok,
      checkedAt: new Date(),
      ledger: { ...ledger, ok: chainsOk },
      checkpoints,
      firstBroken: firstLedger ? { source: 'ledger', link: firstLedger } : firstCheckpoint ? { source: 'checkpoint', link: firstCheckpoint } : null,
    };
  }

  private async filter(principal: Principal, q: PostingFilterQuery): Promise<PostingFilter> {
    if (q.periodFrom && q.periodTo && q.periodFrom > q.periodTo) throw invalid('periodFrom', '不能晚于所属期间止（periodTo）', 'periodFrom must not be after periodTo');
    if (q.postedFrom && q.postedTo && new Date(q.postedFrom).getTime() > new Date(q.postedTo).getTime()) throw invalid('postedFrom', '不能晚于记账时间止（postedTo）', 'postedFrom must not be after postedTo');
    if (q.villageId) await this.scope.village(principal, q.villageId);
    if (q.residentId) {
      const r = await this.repo.findResidentTown(q.residentId);
      if (!r) throw new AppError('RESIDENT.NOT_FOUND');
      this.scope.assertVillage(principal, { id: r.villageId, townId: r.townId });
    }
    return {
      townId: principal.townId,
      residentId: q.residentId,
      villageId: q.villageId,
      itemCode: q.itemCode,
      kind: q.kind,
      periodFrom: q.periodFrom,
      periodTo: q.periodTo,
      postedFrom: q.postedFrom,
      postedTo: q.postedTo,
    };
  }
}
