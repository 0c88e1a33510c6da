import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { AppError } from '@app/common/errors/app-error';
import { shanghaiYear } from '@app/common/time';
import { JobHandler } from '@app/queue/job-handler.decorator';
import { jobIds } from '@app/queue/job-ids';
import { JobQueue } from '@app/queue/job-queue.service';
import type { JobPayloads } from '@app/queue/jobs';
import type { YearEndEnqueuedDto } from './ledger.dto';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';
import { gradeOf } from './projection';
import { YearEndRepository } from './year-end.repository';

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

/** The rating year end of a town (docs/LEDGER.md, "Rating year end"): requested by its admin, run as a job. */
@Injectable()
export class YearEndService {
  private readonly logger = new Logger(YearEndService.name);

  constructor(
    private readonly ledger: LedgerService,
    private readonly ledgerRepo: LedgerRepository,
    private readonly repo: YearEndRepository,
    private readonly audit: AuditService,
    private readonly jobs: JobQueue,
  ) {}

  /** Enqueues the year end of the admin's town; only for a year that is over (Asia/Shanghai). */
  async requestYearEnd(ctx: RequestContext, year: number): Promise<YearEndEnqueuedDto> {
    const current = shanghaiYear(new Date());
    if (year >= current) throw new AppError('LEDGER.YEAR_NOT_ENDED', undefined, { year, currentYear: current });
    const townId = ctx.principal.townId;
    const jobId = jobIds.yearEnd(townId, year);
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
    return this.ledgerRepo.transaction(async (m) => {
      // The town row first, for update: accounts being opened meanwhile (which share-lock it)
      // finish before the accounts are read, so none is left behind in `year`.
      await this.repo.lockTown(m, townId);
      const town = await this.ledgerRepo.findTown(m, townId);
      if (!town) throw new AppError('ORG.TOWN_NOT_FOUND');
      const accounts = await this.repo.lockAccountsInRatingYear(m, townId, year);
      if (accounts.length === 0) return { townId, year, accounts: 0, archived: 0, expired: 0 };
      const ids = accounts.map((a) => a.accountId);
      const archived = await this.repo.archiveYearlyRatings(m, townId, year, ids);
      let expired = 0;
      if (town.expireBalanceAtYearEnd) {
        const result = await this.ledger.postBatch(
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
