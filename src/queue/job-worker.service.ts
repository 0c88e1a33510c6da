import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Worker } from 'bullmq';
import { hostname } from 'node:os';
import { AppConfig } from '@app/config/app-config';
import { buildHandlerMap, type DiscoveredHandler, type HandlerFn } from './job-handler-registry';
import { JOB_HANDLER_METADATA } from './job-handler.decorator';
import { JOBS, QUEUE_NAMES, type JobName } from './jobs';
import { jobDuration } from '@app/metrics/metrics';
import { redisOptionsFromUrl } from './redis-options';

/**
 * Runs the BullMQ workers (only in the worker process). Workers are created here rather than
 * with @Processor classes so that one place checks that every job has exactly one handler
 * before anything is consumed, and one place closes them on SIGTERM (BullMQ's close() lets the
 * current jobs finish; a job cut off by SIGKILL is retried by BullMQ's stalled-job check).
 */
@Injectable()
export class JobWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobWorkerService.name);
  private readonly workers: Worker[] = [];
  private handlers = new Map<JobName, HandlerFn>();
  readonly workerId = `${hostname()}:${process.pid}`;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {}

  discoverHandlers(): DiscoveredHandler[] {
    const found: DiscoveredHandler[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = instance[method] as (...args: unknown[]) => Promise<unknown>;
        const name = this.reflector.get<string | undefined>(JOB_HANDLER_METADATA, fn);
        if (name) found.push({ name, owner: `${wrapper.name as string}.${method}`, fn: fn.bind(instance) as HandlerFn });
      }
    }
    return found;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.handlers = buildHandlerMap(this.discoverHandlers());
    const connection = { ...redisOptionsFromUrl(this.config.get('REDIS_URL')), maxRetriesPerRequest: null };
    for (const queue of QUEUE_NAMES) {
      const worker = new Worker(queue, (job) => this.dispatch(job.name, job.data, job), {
        connection,
        prefix: this.config.get('QUEUE_PREFIX'),
        concurrency: this.config.get('WORKER_CONCURRENCY'),
        // A worker killed mid-job leaves its lock to expire; the job is then retried elsewhere.
        lockDuration: this.config.get('WORKER_LOCK_DURATION_MS'),
        stalledInterval: Math.floor(this.config.get('WORKER_LOCK_DURATION_MS') / 2),
        maxStalledCount: 3,
      });
      worker.on('failed', (job, err) =>
        this.logger.warn({ queue, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'job failed'),
      );
      worker.on('error', (err) => this.logger.warn({ queue, err: err.message }, 'worker error'));
      this.workers.push(worker);
    }
    this.logger.log({ queues: QUEUE_NAMES, jobs: [...this.handlers.keys()], worker: this.workerId }, 'workers started');
  }

  private async dispatch(name: string, data: unknown, job: { id?: string; name: string; attemptsMade: number }): Promise<unknown> {
    const handler = this.handlers.get(name as JobName);
    if (!handler || !(name in JOBS)) throw new Error(`no handler for job ${name}`);
    const end = jobDuration.startTimer({ queue: JOBS[name as JobName].queue, job: name });
    try {
      const result = await handler(data, job);
      end({ outcome: 'completed' });
      return result;
    } catch (err) {
      end({ outcome: 'failed' });
      throw err;
    }
  }

  /** True while every queue's worker runs (the worker's health check). */
  running(): boolean {
    return this.workers.length === QUEUE_NAMES.length && this.workers.every((w) => w.isRunning());
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
    this.logger.log('workers closed');
  }
}
