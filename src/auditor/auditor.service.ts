import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { Principal, RequestContext } from '@app/auth/principal';
import { FixedPlaces, ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { fieldProblem } from '@app/common/http/validation-messages';
import { CreditExportService } from '@app/credit-export/credit-export.service';
import { ReadReplica } from '@app/database/read-replica';
import { LedgerVerifier } from '@app/ledger/ledger-verifier';
import { StatementService } from '@app/ledger/statement.service';
import type { StatementDto, StatementPageQuery } from '@app/ledger/ledger.dto';
import { lateFlags, periodDeadlines } from '@app/board/deadlines';
import {
  MAX_TIMELINESS_MONTHS,
  type AuditVerifyDto,
  type BrokenAccountDto,
  type CheckpointListDto,
  type CheckpointListQuery,
  type PostingFilterQuery,
  type PostingPageDto,
  type PostingSearchQuery,
  type TimelinessDto,
  type TimelinessExportQuery,
} from './auditor.dto';
import { AuditorRepository, type PostingFilter, type PostingRow } from './auditor.repository';
import { DEFAULT_PAGE, decodeCursor, page, type KeysetPosition } from '@app/common/http/keyset-cursor';
import { EXPORT_BATCH, postingsCsvStream, postingsXlsxStream, type BatchSource } from './postings-export';


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

  statement(ctx: RequestContext, residentId: string, q: StatementPageQuery): Promise<StatementDto> {
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

  /** Villages × months (from..to): the same rows as the page, one month after the other. */
  async timelinessMonths(ctx: RequestContext, q: TimelinessExportQuery, now = new Date()): Promise<TimelinessDto[]> {
    const to = q.to ?? q.from;
    if (q.from > to) throw invalid('from', '不能晚于截止期间（to）', 'from must not be after to');
    const periods = monthsBetween(q.from, to);
    if (periods.length > MAX_TIMELINESS_MONTHS) throw invalid('to', `与起始期间最多相隔 ${MAX_TIMELINESS_MONTHS} 个月`, `at most ${MAX_TIMELINESS_MONTHS} months from 'from'`);
    const out: TimelinessDto[] = [];
    for (const period of periods) out.push(await this.timeliness(ctx, period, now));
    return out;
  }

  /** The town's checkpoints with their hashes and where each was published. */
  async checkpoints(ctx: RequestContext, q: CheckpointListQuery): Promise<CheckpointListDto> {
    if (q.periodFrom && q.periodTo && q.periodFrom > q.periodTo) throw invalid('periodFrom', '不能晚于期间止（periodTo）', 'periodFrom must not be after periodTo');
    if (q.villageId) await this.scope.village(ctx.principal, q.villageId);
    const rows = await this.repo.listCheckpointsOfTown({ townId: ctx.principal.townId, villageId: q.villageId, periodFrom: q.periodFrom, periodTo: q.periodTo });
    return { items: rows.map((r) => ({ ...r, boardUrl: `/api/v1/public/boards/${r.villageId}/${r.period}.html` })) };
  }

  /**
   * The ledger verifier over the town's accounts and every finalized cycle's checkpoint (v1 flat
   * hash or v2 Merkle root recomputed from the stored heads, compared with the one on the cycle /
   * board, and each head still in the ledger with the same hash), in one snapshot.
   */
  async verify(ctx: RequestContext): Promise<AuditVerifyDto> {
    const townId = ctx.principal.townId;
    // The verifier checks the chains and every checkpoint (version 1 hashes, version 2 Merkle roots).
    const { checkpoints, ...ledger } = await this.verifier.verifyTown(townId);
    const checkpointProblems = checkpoints.broken;
    const chainsOk = ledger.broken.length === 0;
    const firstLedger = ledger.broken[0];
    const firstCheckpoint = checkpointProblems[0];
    // Names for the person reading the result: whose account, in which village.
    const accountIds = [...new Set([...ledger.broken.map((b) => b.accountId), ...checkpointProblems.flatMap((c) => (c.accountId ? [c.accountId] : []))])];
    const accounts: BrokenAccountDto[] = await this.repo.accountNames(townId, accountIds);
    const byId = new Map(accounts.map((a) => [a.residentId, a]));
    let firstBroken: AuditVerifyDto['firstBroken'] = null;
    if (firstLedger) {
      const account = byId.get(firstLedger.accountId) ?? null;
      firstBroken = { source: 'ledger', link: firstLedger, account, villageName: account?.villageName ?? null };
    } else if (firstCheckpoint) {
      const account = firstCheckpoint.accountId ? (byId.get(firstCheckpoint.accountId) ?? null) : null;
      const village = (await this.repo.villageNames(townId)).find((v) => v.id === firstCheckpoint.villageId);
      firstBroken = { source: 'checkpoint', link: firstCheckpoint, account, villageName: village?.name ?? null };
    }
    return {
      ok: ledger.ok,
      checkedAt: new Date(),
      ledger: { ...ledger, ok: chainsOk },
      checkpoints,
      firstBroken,
      accounts,
    };
  }

  /** The village and town of each resident a search was filtered by (FixedPlaces: a resident never moves). */
  private readonly residentPlaces = new FixedPlaces<{ id: string; townId: string; villageId: string }>();

  private async filter(principal: Principal, q: PostingFilterQuery): Promise<PostingFilter> {
    if (q.periodFrom && q.periodTo && q.periodFrom > q.periodTo) throw invalid('periodFrom', '不能晚于所属期间止（periodTo）', 'periodFrom must not be after periodTo');
    if (q.postedFrom && q.postedTo && new Date(q.postedFrom).getTime() > new Date(q.postedTo).getTime()) throw invalid('postedFrom', '不能晚于记账时间止（postedTo）', 'postedFrom must not be after postedTo');
    if (q.villageId) await this.scope.village(principal, q.villageId);
    const residentId = q.residentId;
    if (residentId) {
      const r = await this.residentPlaces.get(residentId, () => this.repo.findResidentTown(residentId));
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

/** 'YYYY-MM' periods from `from` to `to`, both included (from <= to). */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.split('-').map(Number);
  for (let p = from; p <= to && out.length <= MAX_TIMELINESS_MONTHS; ) {
    out.push(p);
    m += 1;
    if (m > 12) [y, m] = [y + 1, 1];
    p = `${y}-${String(m).padStart(2, '0')}`;
  }
  return out;
}
