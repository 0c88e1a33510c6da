import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { ENQUEUE_TIMEOUT_MS, JOB_RETENTION, JOBS, type JobName, type JobPayloads, type QueueName } from './jobs';

export interface EnqueueOptions {
  /** Deterministic id (e.g. finalize-<village>-<period>): adding it twice returns the same job. */
  jobId?: string;
  delayMs?: number;
}

/**
 * Typed producer over the registered queues. Enqueueing never blocks a request on Redis: if
 * Redis does not take the job within ENQUEUE_TIMEOUT_MS we return null, and the reconcile job
 * re-creates due work from PostgreSQL, which is the source of truth.
 */
@Injectable()
export class JobQueue implements OnApplicationShutdown {
  private readonly logger = new Logger(JobQueue.name);
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    @InjectQueue('system') system: Queue,
    @InjectQueue('cycle') cycle: Queue,
    @InjectQueue('ledger') ledger: Queue,
    @InjectQueue('credit-export') creditExport: Queue,
    @InjectQueue('notices') notices: Queue,
  ) {
    this.queues = { system, cycle, ledger, 'credit-export': creditExport, notices };
  }

  queue(name: QueueName): Queue {
    return this.queues[name];
  }

  allQueues(): Queue[] {
    return Object.values(this.queues);
  }

  async enqueue<K extends JobName>(name: K, payload: JobPayloads[K], opts: EnqueueOptions = {}): Promise<Job | null> {
    const add = this.addOrRevive(name, payload, opts);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ENQUEUE_TIMEOUT_MS);
    });
    try {
      const job = await Promise.race([add, timeout]);
      if (!job) this.logger.warn({ job: name, jobId: opts.jobId }, 'enqueue timed out; reconcile will pick it up');
      return job;
    } catch (err) {
      this.logger.warn({ job: name, jobId: opts.jobId, err: (err as Error).message }, 'enqueue failed; reconcile will pick it up');
      return null;
    } finally {
      clearTimeout(timer);
      add.catch(() => undefined);
    }
  }

  /**
   * Deterministic ids make duplicates harmless, but BullMQ keeps a finished job under its id
   * (for the dashboard) and would silently ignore a re-add. So: a finished job is replaced, and
   * a delayed one is promoted when the work is due now (reconcile after a lost or early job).
   */
  private async addOrRevive<K extends JobName>(name: K, payload: JobPayloads[K], opts: EnqueueOptions): Promise<Job> {
    const spec = JOBS[name];
    const queue = this.queues[spec.queue];
    if (opts.jobId) {
      const existing = await queue.getJob(opts.jobId);
      if (existing) {
        const state = await existing.getState();
        if (state === 'completed' || state === 'failed') {
          await existing.remove();
        } else {
          if (state === 'delayed' && !opts.delayMs) await existing.promote();
          return existing;
        }
      }
    }
    return queue.add(name, payload, { jobId: opts.jobId, delay: opts.delayMs, attempts: spec.retry.attempts, backoff: spec.retry.backoff, ...JOB_RETENTION });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.allQueues().map((q) => q.close()));
    this.logger.log('queues closed');
  }
}
