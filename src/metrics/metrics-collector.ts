import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { JobQueue } from '@app/queue/job-queue.service';
import { registry } from './metrics';
import { MetricsRepository } from './metrics.repository';

const dbPool = new Gauge({ name: 'xinyi_db_pool_connections', help: 'PostgreSQL pool of this process: in_use, idle, waiting (callers queued for a connection)', labelNames: ['state'] as const, registers: [registry] });
const queueJobs = new Gauge({ name: 'xinyi_queue_jobs', help: 'BullMQ jobs per queue and state (waiting, active, delayed, failed, completed)', labelNames: ['queue', 'state'] as const, registers: [registry] });
const queueUp = new Gauge({ name: 'xinyi_queue_up', help: '1 when Redis answered the queue counts at this scrape', registers: [registry] });
const exportBacklog = new Gauge({ name: 'xinyi_credit_export_backlog', help: 'Credit-platform outbox rows by status (pending, failed)', labelNames: ['status'] as const, registers: [registry] });
const exportOldest = new Gauge({ name: 'xinyi_credit_export_oldest_pending_age_seconds', help: 'Age of the oldest pending outbox row (0 when none)', registers: [registry] });
const noticeBacklog = new Gauge({ name: 'xinyi_notices_backlog', help: 'Residents\' notices whose SMS is pending (incl. held in quiet hours, waiting for a retry) or failed', labelNames: ['state'] as const, registers: [registry] });
const databaseUp = new Gauge({ name: 'xinyi_database_up', help: '1 when PostgreSQL answered the outbox query at this scrape', registers: [registry] });

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
const SCRAPE_TIMEOUT_MS = 2_000;

/** Fills the gauges that read PostgreSQL, the pool and Redis, at scrape time (each part on its own: one being down does not hide the others). */
@Injectable()
export class MetricsCollector {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly queues: JobQueue,
    private readonly repo: MetricsRepository,
  ) {}

  async refresh(): Promise<void> {
    this.pool();
    await Promise.all([this.queueCounts(), this.outbox(), this.notices()]);
  }

  private pool(): void {
    const pool = (this.db.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number } }).master;
    if (!pool) return;
    dbPool.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
    dbPool.set({ state: 'idle' }, pool.idleCount);
    dbPool.set({ state: 'waiting' }, pool.waitingCount);
  }

  private async queueCounts(): Promise<void> {
    try {
      const counts = await withTimeout(Promise.all(this.queues.allQueues().map(async (q) => [q.name, await q.getJobCounts(...QUEUE_STATES)] as const)));
      for (const [queue, c] of counts) for (const state of QUEUE_STATES) queueJobs.set({ queue, state }, c[state] ?? 0);
      queueUp.set(1);
    } catch {
      queueUp.set(0);
    }
  }

  private async outbox(): Promise<void> {
    try {
      const row = await withTimeout(this.repo.outboxBacklog());
      exportBacklog.set({ status: 'pending' }, row?.pending ?? 0);
      exportBacklog.set({ status: 'failed' }, row?.failed ?? 0);
      exportOldest.set(row?.oldest ?? 0);
      databaseUp.set(1);
    } catch {
      databaseUp.set(0);
    }
  }

  /** The notices' SMS backlog (sent and skipped only grow: counted by the worker, xinyi_notices_delivered_total). */
  private async notices(): Promise<void> {
    try {
      const rows = await withTimeout(this.repo.noticeSmsBacklog());
      const by = new Map(rows.map((r) => [r.state, r.n]));
      for (const state of ['pending', 'failed']) noticeBacklog.set({ state }, by.get(state) ?? 0);
    } catch {
      // A database that is down is reported by outbox() (xinyi_database_up).
    }
  }
}

function withTimeout<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('scrape timeout')), SCRAPE_TIMEOUT_MS)))]).finally(() => clearTimeout(timer));
}
