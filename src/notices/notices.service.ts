import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@app/audit/audit.service';
import type { RequestContext } from '@app/auth/principal';
import { ScopeService } from '@app/auth/scope.service';
import { AppError } from '@app/common/errors/app-error';
import { requireTransaction } from '@app/database/sql';
import { AppConfig } from '@app/config/app-config';
import type { GradeChange, PostedPosting } from '@app/ledger/ledger.types';
import { postingNotices } from './posting-notices';
import { jobIds } from '@app/queue/job-ids';
import { JobQueue } from '@app/queue/job-queue.service';
import type { NoticeStatusDto, ResidentNoticePageDto, RetryNoticesResultDto, SmsConsentResultDto } from './notices.dto';
import { NoticesRepository } from './notices.repository';
import { DEFAULT_QUIET_HOURS, inQuietHours, parseQuietHours, sendableFrom } from './quiet-hours';
import { NOTICE_KIND_LABELS, pageText, smsText } from './templates';

const DEFAULT_FAILED_LIST = 50;
const DEFAULT_PAGE = 20;

/**
 * The notices residents get (issue 18 §3). Recording happens in the transaction of the cause,
 * through the `record…` methods, which refuse to run outside one: a notice exists exactly when
 * what it tells of committed. Sending is NoticeDeliveryService's (the notices.deliver job).
 */
@Injectable()
export class NoticesService {
  constructor(
    private readonly repo: NoticesRepository,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly jobs: JobQueue,
  ) {}

  // ---- recording, in the caller's transaction ------------------------------------------------

  /** At publish: each approved breach entry (warnings too) on the board, to the resident it is about. */
  recordBreachesPublished(m: EntityManager, cycleId: string): Promise<number> {
    return this.repo.insertBreachesPublished(requireTransaction(m, 'a notice'), cycleId);
  }

  /**
   * After a posting batch (finalize, late postings): per resident what was added and deducted
   * and the balance after, and each grade that moved. Built from the batch in memory (the ledger
   * just wrote it), so the database gets one INSERT for the whole batch and reads nothing back.
   */
  recordPostings(m: EntityManager, postings: PostedPosting[], gradeChanges: GradeChange[]): Promise<number> {
    return this.repo.insertMany(requireTransaction(m, 'a notice'), postingNotices(postings, gradeChanges));
  }

  /** An objection answered (upheld or dismissed): to the resident whose entry it is. */
  recordObjectionAnswered(m: EntityManager, objectionId: string): Promise<number> {
    return this.repo.insertObjectionAnswered(requireTransaction(m, 'a notice'), objectionId);
  }

  recordRedemption(m: EntityManager, r: { residentId: string; redemptionId: string; shopName: string; points: number; balance: number; receiptNo: string }): Promise<void> {
    return this.repo.insertRedemption(requireTransaction(m, 'a notice'), r);
  }

  // ---- the resident ----------------------------------------------------------------------------

  /**
   * A resident's notices, newest first, with their full text and whether an SMS went out. No
   * scope check: the caller has established who may see them (staff below, the resident's page
   * by its token).
   */
  async forResident(residentId: string, opts: { limit?: number; before?: string } = {}): Promise<ResidentNoticePageDto> {
    const limit = opts.limit ?? DEFAULT_PAGE;
    const rows = await this.repo.listForResident(residentId, limit + 1, opts.before);
    const items = rows.slice(0, limit).map((r) => ({
      id: r.id,
      kind: r.kind,
      kindLabel: NOTICE_KIND_LABELS[r.kind],
      text: pageText(r.kind, r.data),
      createdAt: r.createdAt,
      smsState: r.smsState,
      skipReason: r.skipReason,
      sentAt: r.sentAt,
    }));
    return { items, nextBefore: rows.length > limit ? items[items.length - 1].id : null };
  }

  /** Staff view of a resident's notices (same scope as the resident's record). */
  async forResidentAsStaff(ctx: RequestContext, residentId: string, opts: { limit?: number; before?: string }): Promise<ResidentNoticePageDto> {
    await this.residentInScope(ctx, residentId);
    return this.forResident(residentId, opts);
  }

  /** Records the resident's consent to SMS (or its withdrawal); audited. */
  async setConsent(ctx: RequestContext, residentId: string, consent: boolean): Promise<SmsConsentResultDto> {
    const r = await this.residentInScope(ctx, residentId);
    await this.repo.transaction(async (m) => {
      await this.repo.setConsent(m, residentId, consent);
      await this.audit.record(ctx, { action: 'resident.sms_consent', targetType: 'resident', targetId: residentId, summary: { before: r.smsConsent, after: consent } }, m);
    });
    return { residentId, smsConsent: consent, hasPhone: !!r.phone };
  }

  private async residentInScope(ctx: RequestContext, residentId: string) {
    const r = await this.repo.findResident(residentId);
    if (!r) throw new AppError('RESIDENT.NOT_FOUND');
    this.scope.assertVillage(ctx.principal, { id: r.villageId, townId: r.townId });
    return r;
  }

  // ---- status and retry (town admin) ---------------------------------------------------------

  async status(ctx: RequestContext, q: { villageId?: string; limit?: number }, now = new Date()): Promise<NoticeStatusDto> {
    const townId = ctx.principal.townId;
    if (q.villageId) await this.scope.village(ctx.principal, q.villageId);
    const [counts, failed] = await Promise.all([this.repo.stateCounts(townId, q.villageId, now), this.repo.failedNotices(townId, q.villageId, q.limit ?? DEFAULT_FAILED_LIST)]);
    const byState = { pending: 0, sent: 0, failed: 0, skipped: 0 };
    for (const c of counts.byState) byState[c.state] = c.n;
    const skipped = { no_phone: 0, no_consent: 0, inactive: 0 };
    for (const c of counts.skipped) skipped[c.reason] = c.n;
    const quiet = parseQuietHours(this.config.get('NOTICE_QUIET_HOURS')) ?? DEFAULT_QUIET_HOURS;
    return {
      gatewayConfigured: !!this.config.get('NOTICE_SMS_URL'),
      quietHours: inQuietHours(now, quiet),
      sendsFrom: sendableFrom(now, quiet),
      counts: byState,
      due: counts.due,
      skipped,
      failed: failed.map(({ data, ...f }) => ({ ...f, text: smsText(f.kind, data) })),
    };
  }

  /**
   * A town admin puts failed notices (the town's, or the ones named) back to pending with fresh
   * attempts, after the gateway's trouble is over, and asks for a delivery now. All named ones
   * or none. Audited.
   */
  async retry(ctx: RequestContext, ids: string[] | undefined): Promise<RetryNoticesResultDto> {
    const townId = ctx.principal.townId;
    const wanted = ids ? [...new Set(ids)] : null;
    const requeued = await this.repo.transaction(async (m) => {
      if (wanted) {
        const found = await this.repo.lockForRetry(m, townId, wanted);
        const have = new Set(found.map((f) => f.id));
        const missing = wanted.filter((id) => !have.has(id));
        if (missing.length) throw new AppError('NOTICE.NOT_FOUND', undefined, { ids: missing });
        const notFailed = found.filter((f) => f.smsState !== 'failed').map((f) => f.id);
        if (notFailed.length) throw new AppError('NOTICE.NOT_FAILED', undefined, { ids: notFailed });
      }
      const n = await this.repo.requeueFailed(m, townId, wanted);
      await this.audit.record(ctx, { action: 'notices.retry', targetType: 'town', targetId: townId, summary: { requeued: n, ids: wanted } }, m);
      return n;
    });
    const job = requeued ? await this.jobs.enqueue('notices.deliver', {}, { jobId: jobIds.noticesRetry(new Date()) }) : null;
    return { requeued, queued: job !== null };
  }
}
