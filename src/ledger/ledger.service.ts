import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { fieldProblem } from '@app/common/http/validation-messages';
import { isUniqueViolation } from '@app/common/idempotency';
import { shanghaiPeriod, shanghaiYear } from '@app/common/time';
import { JobHandler } from '@app/queue/job-handler.decorator';
import { JobQueue } from '@app/queue/job-queue.service';
import type { JobPayloads } from '@app/queue/jobs';
import type { GradeThresholds } from '@app/scoring/grade';
import { POSTING_KINDS } from './ledger.entities';
import { LedgerRepository, type AccountHeadUpdate, type LockedAccount, type NewAccountRow, type PostingRow } from './ledger.repository';
import type { GradeChange, PostedPosting, PostingRequest, PostResult } from './ledger.types';
import { GENESIS_HASH, postingHash } from './posting-hash';
import { creditScoreDelta, gradeOf } from './projection';
import type { CorrectionDto, CreateCorrectionDto, CreateOpeningBalancesDto, OpeningBalancesResultDto, YearEndEnqueuedDto } from './ledger.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COUNTERPARTY = /^(town|shop):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PERIOD = /^[1-9]\d{3}-(0[1-9]|1[0-2])$/;
const INT32_MAX = 2_147_483_647;

export interface YearEndResult {
  townId: string;
  year: number;
  /** Accounts moved from `year` into `year + 1`. */
  accounts: number;
  /** yearly_ratings rows written. */
  archived: number;
  /** Expiry postings made (towns that expire balances at year end). */
  expired: number;
}

const sourceKey = (kind: string, sourceRef: string) => `${kind}\u0000${sourceRef}`;

/**
 * The only writer of postings (DESIGN.md §3, §4.2–4.4). Every invariant of the ledger is checked
 * here: exactly-once per (kind, source_ref), per-account hash chain and seq, no overspend for
 * covered postings, and the account projection (balance, credit score, grade) moving with it.
 */
@Injectable()
export class LedgerService {
  private readonly logger = new Logger(LedgerService.name);

  constructor(
    private readonly repo: LedgerRepository,
    private readonly audit: AuditService,
    private readonly scope: ScopeService,
    private readonly jobs: JobQueue,
  ) {}

  /**
   * Posts a batch (e.g. a village-period at finalize, a redemption, a year end). Requests whose
   * (kind, sourceRef) is already in the ledger, or earlier in the same batch, are skipped and
   * reported. A covered request that would take its account below zero refuses the whole batch
   * (LEDGER.INSUFFICIENT_POINTS). With `manager`, runs inside the caller's transaction (which must
   * be READ COMMITTED, the default) so the caller's own writes commit or roll back with it.
   */
  async postBatch(requests: PostingRequest[], manager?: EntityManager): Promise<PostResult> {
    const normalized = requests.map(normalizeRequest);
    if (normalized.length === 0) return { posted: 0, skipped: 0, postings: [], skippedRequests: [], gradeChanges: [] };
    // One transaction: account locks, duplicate check, postings and projection commit together,
    // which is what makes exactly-once and no-overspend hold under concurrency.
    return this.inTransaction(manager, (m) => this.postLocked(m, normalized));
  }

  private async postLocked(m: EntityManager, requests: PostingRequest[]): Promise<PostResult> {
    const accountIds = [...new Set(requests.map((r) => r.accountId))].sort();
    await this.openMissingAccounts(m, accountIds);
    const locked = await this.repo.lockAccounts(m, accountIds);
    if (locked.length !== accountIds.length) {
      const found = new Set(locked.map((a) => a.accountId));
      throw new AppError('LEDGER.ACCOUNT_NOT_FOUND', undefined, { accountIds: accountIds.filter((id) => !found.has(id)) });
    }
    // Checked after the locks: a concurrent batch that posted the same source has committed by now
    // (it held the account lock), and READ COMMITTED gives this statement a fresh snapshot.
    const uniqueSources = new Map(requests.map((r) => [sourceKey(r.kind, r.sourceRef), { kind: r.kind, sourceRef: r.sourceRef }]));
    const already = await this.repo.findPostedSources(m, [...uniqueSources.values()]);
    const seen = new Set(already.map((s) => sourceKey(s.kind, s.sourceRef)));

    const accounts = new Map(locked.map((a) => [a.accountId, { ...a }]));
    // Generated after the locks so an account's postings are stamped in seq order; ms precision
    // is all a JS Date has, and it is what the hash covers.
    const postedAt = new Date();
    const rows: Array<PostingRow & { balanceAfter: number; creditScoreAfter: number }> = [];
    const skippedRequests: PostingRequest[] = [];
    for (const r of requests) {
      const key = sourceKey(r.kind, r.sourceRef);
      if (seen.has(key)) {
        skippedRequests.push(r);
        continue;
      }
      seen.add(key);
      const a = accounts.get(r.accountId) as LockedAccount;
      const { row, balance, creditScore } = nextPosting(a, r, postedAt);
      a.seq = row.seq;
      a.headHash = row.hash;
      a.balance = balance;
      a.creditScore = creditScore;
      rows.push({ ...row, balanceAfter: balance, creditScoreAfter: creditScore });
    }

    const inserted = await this.repo.appendPostings(m, rows);
    if (inserted.length !== rows.length) {
      // The unique (kind, source_ref) refused a row our check did not see: another transaction
      // posted the same source to a different account meanwhile. Roll everything back.
      const got = new Set(inserted.map((i) => sourceKey(i.kind, i.sourceRef)));
      const lost = rows.filter((r) => !got.has(sourceKey(r.kind, r.sourceRef))).map((r) => ({ kind: r.kind, sourceRef: r.sourceRef }));
      throw new AppError('LEDGER.SOURCE_CONFLICT', undefined, { sources: lost.slice(0, 20) });
    }
    const ids = new Map(inserted.map((i) => [sourceKey(i.kind, i.sourceRef), i.id]));

    const heads: AccountHeadUpdate[] = [];
    const gradeChanges: GradeChange[] = [];
    const touched = new Set(rows.map((r) => r.accountId));
    for (const id of touched) {
      const a = accounts.get(id) as LockedAccount;
      const grade = gradeOf(a.creditScore, a.gradeThresholds);
      heads.push({ accountId: id, balance: a.balance, creditScore: a.creditScore, grade, seq: a.seq, headHash: a.headHash });
      if (grade !== a.grade) gradeChanges.push({ accountId: id, from: a.grade, to: grade });
    }
    await this.repo.updateAccountHeads(m, heads);

    const postings: PostedPosting[] = rows.map((r) => ({ ...r, id: ids.get(sourceKey(r.kind, r.sourceRef)) as string }));
    return { posted: postings.length, skipped: skippedRequests.length, postings, skippedRequests, gradeChanges };
  }

  /**
   * One posting on an existing account, in the caller's transaction, in two statements: the
   * account row lock, then the posting and the new account head written together (the hot
   * path of shop redemptions). Same rules as postBatch: chain, projection, cover, exactly once
   * (a source already posted is skipped). An account that does not exist yet goes through
   * postBatch, which opens it.
   */
  async postOne(request: PostingRequest, manager: EntityManager): Promise<PostResult> {
    const r = normalizeRequest(request);
    return this.inTransaction(manager, async (m) => {
      const a = await this.repo.lockAccount(m, r.accountId);
      if (!a) return this.postLocked(m, [r]);
      const { row, balance, creditScore } = nextPosting(a, r, new Date());
      const id = await this.repo.appendPostingWithHead(m, row, { balance, creditScore, grade: gradeOf(creditScore, a.gradeThresholds) });
      if (id === null) return { posted: 0, skipped: 1, postings: [], skippedRequests: [r], gradeChanges: [] };
      const grade = gradeOf(creditScore, a.gradeThresholds);
      const gradeChanges = grade !== a.grade ? [{ accountId: a.accountId, from: a.grade, to: grade }] : [];
      return { posted: 1, skipped: 0, postings: [{ ...row, id, balanceAfter: balance, creditScoreAfter: creditScore }], skippedRequests: [], gradeChanges };
    });
  }

  /** Opens accounts for residents that have none: town base score, its grade, head = genesis. */
  private async openMissingAccounts(m: EntityManager, residentIds: string[]): Promise<void> {
    const missing = await this.repo.findResidentsWithoutAccount(m, residentIds, shanghaiYear(new Date()));
    if (missing.length === 0) return;
    const rows: NewAccountRow[] = missing.map((r) => ({
      residentId: r.residentId,
      townId: r.townId,
      villageId: r.villageId,
      creditScore: r.baseScore,
      grade: gradeOf(r.baseScore, r.gradeThresholds),
      ratingYear: r.ratingYear,
      headHash: GENESIS_HASH,
    }));
    await this.repo.insertAccounts(m, rows);
  }

  /** Runs `work` in the caller's transaction if it has one, else in a new one. */
  private async inTransaction<T>(manager: EntityManager | undefined, work: (m: EntityManager) => Promise<T>): Promise<T> {
    if (manager?.queryRunner?.isTransactionActive) return work(manager);
    return (manager ?? this.repo.dataSource.manager).transaction(work);
  }

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
    return this.inTransaction(undefined, async (m) => {
      const original = await this.repo.findPostingWithResident(m, dto.postingId);
      if (!original) throw new AppError('LEDGER.POSTING_NOT_FOUND');
      this.scope.assertVillage(ctx.principal, { id: original.residentVillageId, townId: original.residentTownId });
      if (original.kind !== 'deed') throw new AppError('LEDGER.NOT_CORRECTABLE', undefined, { postingId: original.id, kind: original.kind });
      // The account lock serialises corrections of one resident, so "already reversed" cannot race.
      await this.repo.lockAccounts(m, [original.accountId]);
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
      const result = await this.postBatch(
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
    return this.inTransaction(undefined, async (m) => {
      const inTown = new Set(await this.repo.findResidentsInTown(m, townId, ids));
      const outside = ids.filter((id) => !inTown.has(id));
      if (outside.length) throw new AppError('AUTH.OUT_OF_SCOPE', '村民不在本镇 / residents outside your town', { residentIds: outside });
      const period = shanghaiPeriod(new Date());
      const result = await this.postBatch(
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

  // ---- grade table change ------------------------------------------------------------------

  /**
   * The grade of a resident with no postings (no account yet): that of the town's base score
   * under its grade table, as the account will have when it opens.
   */
  async baseGrade(townId: string): Promise<string> {
    const town = await this.repo.findTown(null, townId);
    if (!town) throw new AppError('ORG.TOWN_NOT_FOUND');
    return gradeOf(town.baseScore, town.gradeThresholds);
  }

  /**
   * After a town changes its grade table: every account's grade again from its credit score.
   * Postings keep grades current themselves, so this is needed only then. It runs in the caller's
   * transaction (the settings change): the table and the grades change together.
   */
  async regradeTown(townId: string, thresholds: GradeThresholds, manager: EntityManager): Promise<number> {
    return this.repo.regradeTown(manager, townId, thresholds);
  }

  // ---- rating year end ---------------------------------------------------------------------

  /** Enqueues the year end of the admin's town; only for a year that is over (Asia/Shanghai). */
  async requestYearEnd(ctx: RequestContext, year: number): Promise<YearEndEnqueuedDto> {
    const current = shanghaiYear(new Date());
    if (year >= current) throw new AppError('LEDGER.YEAR_NOT_ENDED', undefined, { year, currentYear: current });
    const townId = ctx.principal.townId;
    const jobId = `ledger-year-end-${townId}-${year}`;
    const job = await this.jobs.enqueue('ledger.year_end', { townId, year }, { jobId });
    await this.audit.record(ctx, { action: 'ledger.year_end.request', targetType: 'town', targetId: townId, summary: { year, jobId, queued: job !== null } });
    return { jobId, queued: job !== null };
  }

  @JobHandler('ledger.year_end')
  async handleYearEnd(payload: JobPayloads['ledger.year_end']): Promise<void> {
    const result = await this.runYearEnd(payload.townId, payload.year);
    this.logger.log(result, 'rating year closed');
  }

  /**
   * Closes rating year `year` of a town: archives each account's score and grade, expires
   * positive balances if the town says so, and opens `year + 1` at the town base (plus any
   * deed points already posted for periods of `year + 1`). Only accounts still in `year` are
   * touched, so running it again changes nothing.
   */
  async runYearEnd(townId: string, year: number): Promise<YearEndResult> {
    // One transaction: archive, expiry postings and the new year commit together; a crash
    // half-way leaves the year open and a rerun does all of it.
    return this.inTransaction(undefined, async (m) => {
      // The town row first, for update: accounts being opened meanwhile (which share-lock it)
      // finish before the accounts are read, so none is left behind in `year`.
      await m.query(`SELECT 1 FROM towns WHERE id = $1 FOR UPDATE`, [townId]);
      const town = await this.repo.findTown(m, townId);
      if (!town) throw new AppError('ORG.TOWN_NOT_FOUND');
      const accounts = await this.repo.lockAccountsInRatingYear(m, townId, year);
      if (accounts.length === 0) return { townId, year, accounts: 0, archived: 0, expired: 0 };
      const ids = accounts.map((a) => a.accountId);
      const archived = await this.repo.archiveYearlyRatings(m, townId, year, ids);
      let expired = 0;
      if (town.expireBalanceAtYearEnd) {
        const result = await this.postBatch(
          accounts
            .filter((a) => a.balance > 0)
            .map((a) => ({
              accountId: a.accountId,
              kind: 'expiry' as const,
              points: -a.balance,
              sourceRef: `expiry:${a.accountId}:${year}`,
              counterparty: `town:${townId}`,
              period: `${year}-12`,
              memo: `${year} 年度积分到期清零`,
            })),
          m,
        );
        expired = result.posted;
      }
      const early = await this.repo.sumCreditPointsOfYear(m, townId, year + 1);
      await this.repo.startRatingYear(
        m,
        year + 1,
        accounts.map((a) => {
          const creditScore = town.baseScore + (early.get(a.accountId) ?? 0);
          return { accountId: a.accountId, creditScore, grade: gradeOf(creditScore, town.gradeThresholds) };
        }),
      );
      const result = { townId, year, accounts: accounts.length, archived, expired };
      await this.audit.record(null, { action: 'ledger.year_end', targetType: 'town', targetId: townId, townId, summary: { ...result } }, m);
      return result;
    });
  }
}

/** Shape checks on what a feature asks to post: a bad request is a programming error, not user input. */
function normalizeRequest(r: PostingRequest): PostingRequest {
  const accountId = String(r.accountId).toLowerCase();
  if (!UUID.test(accountId)) throw new RangeError(`posting accountId ${r.accountId} is not a uuid`);
  if (!(POSTING_KINDS as readonly string[]).includes(r.kind)) throw new RangeError(`posting kind ${r.kind} is unknown`);
  if (!Number.isSafeInteger(r.points) || Math.abs(r.points) > INT32_MAX) throw new RangeError(`posting points ${r.points} is not an integer`);
  if (typeof r.sourceRef !== 'string' || r.sourceRef.length === 0 || r.sourceRef.length > 200) throw new RangeError('posting sourceRef must be 1–200 characters');
  if (!COUNTERPARTY.test(r.counterparty)) throw new RangeError(`posting counterparty ${r.counterparty} must be town:<uuid> or shop:<uuid>`);
  if (!PERIOD.test(r.period)) throw new RangeError(`posting period ${r.period} must be YYYY-MM`);
  return { ...r, accountId, itemCode: r.itemCode ?? null, memo: r.memo ?? null };
}

/**
 * The next posting of an account: seq, chain link, hash, and the projection after it. Refuses
 * a covered posting that would take the balance below zero. Pure: both posting paths use it.
 */
export function nextPosting(a: LockedAccount, r: PostingRequest, postedAt: Date): { row: PostingRow; balance: number; creditScore: number } {
  const balance = a.balance + r.points;
  if (r.requireCovered && balance < 0) {
    throw new AppError('LEDGER.INSUFFICIENT_POINTS', undefined, { accountId: a.accountId, balance: a.balance, points: r.points, sourceRef: r.sourceRef });
  }
  const creditScore = a.creditScore + creditScoreDelta(r.kind, r.points, r.period, a.ratingYear);
  if (Math.abs(balance) > INT32_MAX || Math.abs(creditScore) > INT32_MAX) throw new RangeError(`account ${a.accountId} would overflow`);
  const row: PostingRow = {
    townId: a.townId,
    villageId: a.villageId,
    accountId: a.accountId,
    seq: a.seq + 1,
    kind: r.kind,
    points: r.points,
    sourceRef: r.sourceRef,
    counterparty: r.counterparty,
    period: r.period,
    itemCode: r.itemCode ?? null,
    memo: r.memo ?? null,
    postedAt,
    prevHash: a.headHash,
    hash: '',
  };
  row.hash = postingHash(row);
  return { row, balance, creditScore };
}
