import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { RepeatOptions } from 'bullmq';
import { AppConfig } from '@app/config/app-config';
import { jobIds } from './job-ids';
import { JobQueue } from './job-queue.service';
import { JOBS, RETIRED_SCHEDULERS, SCHEDULES, type JobName, type QueueName } from './jobs';

/** How often the worker checks that its job schedulers still exist in Redis. */
export const SCHEDULER_CHECK_MS = 30_000;

export interface WantedScheduler {
  id: string;
  job: JobName;
  queue: QueueName;
  repeat: RepeatOptions;
}

/** The schedulers the schedule table asks for, each on its job's queue (cron in its time zone, or every n ms). */
export function wantedSchedulers(): WantedScheduler[] {
  return Object.values(SCHEDULES).map((s) => ({
    id: s.id,
    job: s.job,
    queue: JOBS[s.job].queue,
    repeat: 'pattern' in s ? { pattern: s.pattern, tz: s.tz } : { every: s.every },
  }));
}

/**
 * Installs the job schedulers of `SCHEDULES`, in the worker process only (XINYI_PROCESS).
 * At start-up it installs them, then checks every SCHEDULER_CHECK_MS that they are still there:
 * Redis may be down when the worker starts, or restart without its data; the 5-minute
 * reconcile is itself a scheduler, so without this nothing would put them back until the worker
 * restarted (no month-end close, no reconcile).
 */
@Injectable()
export class JobSchedulers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobSchedulers.name);
  private check?: NodeJS.Timeout;
  private ensuring = false;

  constructor(
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.get('XINYI_PROCESS') !== 'worker') return;
    await this.ensure();
    this.check = setInterval(() => void this.ensure(), SCHEDULER_CHECK_MS);
    this.check.unref();
  }

  onApplicationShutdown(): void {
    if (this.check) clearInterval(this.check);
  }

  /**
   * Installs whichever scheduler is missing (an existing one is left alone: upserting an `every`
   * scheduler again would move its next run), and when any was, queues a reconcile, since
   * whatever else Redis held is gone too. Returns the ids installed; never throws.
   */
  async ensure(): Promise<string[]> {
    if (this.ensuring) return [];
    this.ensuring = true;
    const installed: string[] = [];
    try {
      for (const { queue, id } of RETIRED_SCHEDULERS) {
        if (await this.jobs.queue(queue).getJobScheduler(id)) await this.jobs.queue(queue).removeJobScheduler(id);
      }
      for (const s of wantedSchedulers()) {
        const queue = this.jobs.queue(s.queue);
        if (await queue.getJobScheduler(s.id)) continue;
        await queue.upsertJobScheduler(s.id, s.repeat, { name: s.job, data: {} });
        installed.push(s.id);
      }
      if (installed.length) {
        this.logger.log({ installed }, 'job schedulers installed');
        await this.jobs.enqueue('cycle.reconcile', {}, { jobId: jobIds.reconcileAfterInstall(process.pid, new Date()) });
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, `could not check the job schedulers (Redis down?); trying again in ${SCHEDULER_CHECK_MS / 1000} s`);
    } finally {
      this.ensuring = false;
    }
    return installed;
  }
}
