import { Injectable, Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { AppConfig } from '@app/config/app-config';
import { noticesDeliveredTotal } from '@app/metrics/metrics';
import { JobHandler } from '@app/queue/job-handler.decorator';
import { jobIds } from '@app/queue/job-ids';
import { JobQueue } from '@app/queue/job-queue.service';
import { SCHEDULES } from '@app/queue/jobs';
import { backoffMs, leaseMs, SMS_ANSWER_MAX_CHARS, SMS_BACKOFF_BASE_MS, SMS_BATCH_SIZE, SMS_MAX_ATTEMPTS, SMS_MAX_BATCHES_PER_RUN } from './delivery-policy';
import type { SkipReason } from './notice.entity';
import { NoticesRepository, type ClaimedNotice } from './notices.repository';
import { DEFAULT_QUIET_HOURS, inQuietHours, parseQuietHours, sendableFrom, type QuietHours } from './quiet-hours';
import { smsText } from './templates';

export interface DeliveryRun {
  sent: number;
  failed: number;
  skipped: number;
  /** Why nothing was tried: no gateway configured, or quiet hours (notices held until 08:00). */
  idle: 'no-gateway' | 'quiet-hours' | null;
}

/** HMAC-SHA256 over the exact body bytes, hex: what the gateway checks (as for the credit export). */
export function signSmsBody(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/** The idempotency id of a notice at the gateway: the same notice sent twice carries the same id. */
export const smsMessageId = (noticeId: string) => `notice-${noticeId}`;

/**
 * Sends due notices to the SMS gateway, at least once: each run leases a batch (so two runs never
 * send the same notice at once, and a killed run's notices are due again when the lease lapses),
 * posts it signed, and marks it sent — or counts a failed attempt with backoff, and after
 * SMS_MAX_ATTEMPTS leaves it `failed` for the town admin. Nothing goes out in quiet hours.
 */
@Injectable()
export class NoticeDeliveryService {
  private readonly logger = new Logger(NoticeDeliveryService.name);

  constructor(
    private readonly repo: NoticesRepository,
    private readonly config: AppConfig,
    private readonly jobs: JobQueue,
  ) {}

  @JobHandler('notices.deliver')
  async handleDeliver(): Promise<DeliveryRun> {
    const result = await this.deliverDue(new Date());
    // After a refused batch the rest waits at least one backoff step: a gateway that is down is not hammered.
    await this.scheduleFollowUp(result.failed > 0 ? SMS_BACKOFF_BASE_MS : 0);
    return result;
  }

  /**
   * One delivery run as of `now` (tests pass the time; the job passes the clock). Stops at the
   * first batch the gateway refuses: its notices wait for their backoff, the rest for the next run.
   */
  async deliverDue(now: Date): Promise<DeliveryRun> {
    const url = this.config.get('NOTICE_SMS_URL');
    if (!url) return { sent: 0, failed: 0, skipped: 0, idle: 'no-gateway' };
    if (inQuietHours(now, this.quietHours())) return { sent: 0, failed: 0, skipped: 0, idle: 'quiet-hours' };
    const timeoutMs = this.config.get('NOTICE_SMS_TIMEOUT_MS');
    const run: DeliveryRun = { sent: 0, failed: 0, skipped: 0, idle: null };
    for (let batch = 0; batch < SMS_MAX_BATCHES_PER_RUN; batch++) {
      const claimed = await this.repo.claimDue(now, SMS_BATCH_SIZE, leaseMs(timeoutMs));
      if (!claimed.length) break;
      const skipped = claimed.map((n) => ({ id: n.id, reason: skipReason(n) })).filter((s): s is { id: string; reason: SkipReason } => s.reason !== null);
      await this.repo.markSkipped(skipped);
      run.skipped += skipped.length;
      noticesDeliveredTotal.inc({ outcome: 'skipped' }, skipped.length);
      const toSend = claimed.filter((n) => skipReason(n) === null);
      if (!toSend.length) continue;
      const answer = await this.post(url, toSend, timeoutMs);
      if (answer === null) {
        await this.repo.markSent(toSend.map((n) => n.id), new Date());
        run.sent += toSend.length;
        noticesDeliveredTotal.inc({ outcome: 'sent' }, toSend.length);
        continue;
      }
      const attempts = toSend.map((n) => ({ id: n.id, retryAt: new Date(now.getTime() + backoffMs(n.attempts)), final: n.attempts >= SMS_MAX_ATTEMPTS }));
      await this.repo.markAttemptFailed(attempts, answer);
      const final = attempts.filter((a) => a.final).length;
      noticesDeliveredTotal.inc({ outcome: 'failed' }, final);
      noticesDeliveredTotal.inc({ outcome: 'attempt_failed' }, attempts.length - final);
      this.logger.warn({ notices: toSend.length, answer }, 'SMS gateway refused a batch');
      run.failed += toSend.length;
      break;
    }
    return run;
  }

  quietHours(): QuietHours {
    return parseQuietHours(this.config.get('NOTICE_QUIET_HOURS')) ?? DEFAULT_QUIET_HOURS;
  }

  /** Posts one batch; null when the gateway took it (2xx), else its answer (status and body) or the error. */
  private async post(url: string, notices: ClaimedNotice[], timeoutMs: number): Promise<string | null> {
    const body = JSON.stringify({
      source: 'xinyi-ledger',
      sentAt: new Date().toISOString(),
      messages: notices.map((n) => ({ id: smsMessageId(n.id), phone: n.phone, text: smsText(n.kind, n.data) })),
    });
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-xinyi-signature': `sha256=${signSmsBody(body, this.config.get('NOTICE_SMS_SECRET'))}` },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text().catch(() => '');
      if (res.ok) return null;
      return `HTTP ${res.status}${text ? `: ${text}` : ''}`.slice(0, SMS_ANSWER_MAX_CHARS);
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const what = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
      return what.slice(0, SMS_ANSWER_MAX_CHARS);
    }
  }

  /**
   * The scheduler ticks every minute; when a notice falls due sooner (a backoff of 30 s, a lease
   * ending after a crash, 08:00 after quiet hours), one delayed run is queued for then.
   */
  private async scheduleFollowUp(notBeforeMs: number): Promise<void> {
    const next = await this.repo.nextDueAt();
    if (!next) return;
    const at = sendableFrom(new Date(Math.max(next.getTime(), Date.now() + notBeforeMs)), this.quietHours());
    const delayMs = Math.max(0, at.getTime() - Date.now());
    if (delayMs >= SCHEDULES.noticesDeliver.every) return;
    await this.jobs.enqueue('notices.deliver', {}, { jobId: jobIds.noticesAt(at), delayMs: delayMs + 100 });
  }
}

/** Checked again at sending: consent may have been withdrawn, the phone removed, the resident moved. */
function skipReason(n: ClaimedNotice): SkipReason | null {
  if (n.residentStatus !== 'active') return 'inactive';
  if (!n.phone) return 'no_phone';
  if (!n.smsConsent) return 'no_consent';
  return null;
}
