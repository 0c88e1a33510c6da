import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { shanghaiYear } from '@app/common/time';
import type { GradeThresholds } from '@app/scoring/grade';
import { POSTING_KINDS } from './ledger.entities';
import { LedgerRepository, type AccountHeadUpdate, type LockedAccount, type NewAccountRow, type PostingRow } from './ledger.repository';
import type { GradeChange, PostedPosting, PostingRequest, PostResult } from './ledger.types';
import { GENESIS_HASH, postingHash } from './posting-hash';
import { creditScoreDelta, gradeOf } from './projection';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COUNTERPARTY = /^(town|shop):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PERIOD = /^[1-9]\d{3}-(0[1-9]|1[0-2])$/;
const INT32_MAX = 2_147_483_647;

const sourceKey = (kind: string, sourceRef: string) => `${kind}\u0000${sourceRef}`;

/**
 * The only writer of postings (DESIGN.md §3, §4.2–4.4). Every invariant of the ledger is checked
 * here: exactly-once per (kind, source_ref), per-account hash chain and seq, no overspend for
 * covered postings, and the account projection (balance, credit score, grade) moving with it.
 * Corrections and opening balances (CorrectionsService) and the year end (YearEndService) post
 * through it.
 */
@Injectable()
export class LedgerService {
  constructor(private readonly repo: LedgerRepository) {}

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
    return this.repo.transaction((m) => this.postLocked(m, normalized), manager);
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
    return this.repo.transaction(async (m) => {
      const a = await this.repo.lockAccount(m, r.accountId);
      if (!a) return this.postLocked(m, [r]);
      const { row, balance, creditScore } = nextPosting(a, r, new Date());
      const id = await this.repo.appendPostingWithHead(m, row, { balance, creditScore, grade: gradeOf(creditScore, a.gradeThresholds) });
      if (id === null) return { posted: 0, skipped: 1, postings: [], skippedRequests: [r], gradeChanges: [] };
      const grade = gradeOf(creditScore, a.gradeThresholds);
      const gradeChanges = grade !== a.grade ? [{ accountId: a.accountId, from: a.grade, to: grade }] : [];
      return { posted: 1, skipped: 0, postings: [{ ...row, id, balanceAfter: balance, creditScoreAfter: creditScore }], skippedRequests: [], gradeChanges };
    }, manager);
  }

  /**
   * The next posting of an account computed from a head read WITHOUT a lock: seq, chain link,
   * hash and the projection after it, for a caller that writes posting and head in one statement
   * which first checks, under the account's row lock, that the head is still at `head.seq`
   * (shop redemptions; src/shop/redemption-statement.repository.ts). Same rules as postOne; a covered
   * posting the head's balance cannot cover throws LEDGER.INSUFFICIENT_POINTS.
   */
  prepareOne(head: LockedAccount, request: PostingRequest): { row: PostingRow; balance: number; creditScore: number; grade: string } {
    const { row, balance, creditScore } = nextPosting(head, normalizeRequest(request), new Date());
    return { row, balance, creditScore, grade: gradeOf(creditScore, head.gradeThresholds) };
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
