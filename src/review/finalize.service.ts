import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@app/audit/audit.service';
import { BoardService } from '@app/board/board.service';
import { CreditExportService } from '@app/credit-export/credit-export.service';
import { checkpointValue, CURRENT_CHECKPOINT_VERSION } from '@app/ledger/checkpoint';
import { LedgerService } from '@app/ledger/ledger.service';
import type { PostingRequest } from '@app/ledger/ledger.types';
import { NoticesService } from '@app/notices/notices.service';
import { jobIds } from '@app/queue/job-ids';
import { JobHandler } from '@app/queue/job-handler.decorator';
import { JobQueue } from '@app/queue/job-queue.service';
import type { JobPayloads } from '@app/queue/jobs';
import { EntryStatesService } from '@app/entries/entry-states.service';
import { ReviewRepository, type CycleRow } from './review.repository';

/**
 * publicized → finalized at the end of the objection window: what stands is posted through the
 * ledger with the checkpoint, in one transaction; and the postings that come after finalize
 * (an objection dismissed late), with the credit export they start.
 */
@Injectable()
export class FinalizeService {
  constructor(
    private readonly repo: ReviewRepository,
    private readonly entryStates: EntryStatesService,
    private readonly ledger: LedgerService,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
    private readonly boards: BoardService,
    private readonly notices: NoticesService,
    private readonly creditExport: CreditExportService,
  ) {}

  @JobHandler('cycle.finalize')
  async handleFinalize(payload: JobPayloads['cycle.finalize']): Promise<string> {
    return this.finalize(payload.cycleId);
  }

  /**
   * Posts every approved, undisputed entry through the ledger and writes the checkpoint, in ONE
   * transaction with the cycle row locked: killed half-way it rolls back whole, run twice the
   * second run finds the cycle finalized (and the ledger's unique source refs are the backstop).
   */
  async finalize(cycleId: string, now = new Date()): Promise<'finalized' | 'already' | 'not-due'> {
    const outcome = await this.repo.transaction(async (m) => {
      const c = await this.repo.lockCycleById(m, cycleId);
      if (!c) return { status: 'not-due' as const };
      if (c.state === 'finalized') return { status: 'already' as const };
      if (c.state !== 'publicized' || !c.windowEndsAt || c.windowEndsAt.getTime() > now.getTime()) return { status: 'not-due' as const };
      const posted = await this.postEntries(m, c);
      // One set-based read of the village's heads (after the postings, under the cycle lock),
      // one pass to build the Merkle tree in JS: 2n SHA-256 for n accounts.
      const heads = await this.repo.accountHeads(m, c.villageId);
      const version = CURRENT_CHECKPOINT_VERSION;
      const hash = checkpointValue(version, c.villageId, c.period, heads);
      await this.repo.insertCheckpoint(m, c, version, heads, hash);
      await this.repo.transition(m, c, 'finalized', null, null, { checkpointHash: hash });
      await this.audit.record(
        null,
        {
          action: 'cycle.finalize',
          targetType: 'cycle',
          targetId: c.id,
          townId: c.townId,
          summary: { villageId: c.villageId, period: c.period, posted, accounts: heads.length, checkpointHash: hash, checkpointVersion: version },
        },
        m,
      );
      return { status: 'finalized' as const, cycle: c };
    });
    if (outcome.status === 'finalized') {
      await this.boards.invalidate(outcome.cycle.villageId, outcome.cycle.period);
      await this.afterPosting(outcome.cycle);
    }
    return outcome.status;
  }

  /**
   * Posts the cycle's approved, undisputed entries not posted yet (or only those of `only`) in the
   * caller's transaction, the cycle row locked by the caller: finalize, a dismissal after
   * finalize, late postings. Returns how many were posted.
   */
  async postEntries(m: EntityManager, c: CycleRow, only?: string[]): Promise<number> {
    const toPost = await this.entryStates.takeEntriesToPost(m, c.villageId, c.period, only);
    if (!toPost.length) return 0;
    const requests: PostingRequest[] = toPost.map((e) => ({
      accountId: e.residentId,
      kind: 'deed',
      points: e.points,
      sourceRef: `entry:${e.id}`,
      counterparty: `town:${c.townId}`,
      period: c.period,
      itemCode: e.itemCode,
      memo: e.itemName,
    }));
    const result = await this.ledger.postBatch(requests, m);
    const postingBySource = new Map(result.postings.map((p) => [p.sourceRef, p]));
    if (result.skipped) {
      const rows = await this.repo.deedPostingIds(m, result.skippedRequests.map((r) => r.sourceRef));
      for (const r of rows) postingBySource.set(r.sourceRef, { id: r.id } as never);
    }
    const entryIds = toPost.map((e) => e.id);
    await this.entryStates.recordPostedEvents(m, c.townId, entryIds, toPost.map((e) => String(postingBySource.get(`entry:${e.id}`)?.id)));
    await this.creditExport.enqueuePostings(m, result.postings);
    await this.notices.recordPostings(m, result.postings, result.gradeChanges);
    return result.posted;
  }

  /**
   * One job id per town: at month end 50 villages finalize within minutes, and while a town's
   * export waits, a new enqueue returns it instead of adding another (JobQueue replaces it once
   * finished). Grades need no job: postings keep them current (a grade-table change regrades the
   * town in its own transaction, OrgService.updateSettings).
   */
  async afterPosting(c: CycleRow): Promise<void> {
    await this.jobs.enqueue('credit.export', { townId: c.townId }, { jobId: jobIds.townExport(c.townId) });
  }

  /** Entries of finalized cycles whose objection was dismissed after finalize: post them now. */
  async postLateDismissed(cycleIds: string[]): Promise<number> {
    let posted = 0;
    for (const cycleId of cycleIds) {
      const late = await this.repo.transaction(async (m) => {
        const c = (await this.repo.lockCycleById(m, cycleId)) as CycleRow;
        const n = await this.postEntries(m, c);
        if (n) await this.audit.record(null, { action: 'cycle.post_late', targetType: 'cycle', targetId: c.id, townId: c.townId, summary: { villageId: c.villageId, period: c.period, posted: n } }, m);
        return { c, n };
      });
      await this.boards.invalidate(late.c.villageId, late.c.period);
      posted += late.n;
    }
    return posted;
  }
}
