import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics (api and worker each have their own, scraped separately).
 * Counters and histograms are module-level so that any code can count without injection;
 * gauges that read PostgreSQL or Redis are filled at scrape time by MetricsCollector.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'xinyi_' });

/**
 * Gauges of the service's shared state (queues, outbox, notices, database and Redis up), read
 * from PostgreSQL and Redis at scrape time by the process that answers: the same for every
 * process, so with several api processes they are given once, not once per process.
 */
export const serviceRegistry = new Registry();

/** This process's metrics and the service's, as one exposition (the two hold different names). */
export async function renderMetrics(own: Registry = registry): Promise<string> {
  return `${await own.metrics()}${await serviceRegistry.metrics()}`;
}

export const httpRequestDuration = new Histogram({
  name: 'xinyi_http_request_duration_seconds',
  help: 'HTTP requests by method, route template and status; _count is the number of requests',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const jobDuration = new Histogram({
  name: 'xinyi_job_duration_seconds',
  help: 'BullMQ jobs run by this worker, by queue, job name and outcome',
  labelNames: ['queue', 'job', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600],
  registers: [registry],
});

export const redemptionsTotal = new Counter({
  name: 'xinyi_redemptions_total',
  help: 'Shop redemptions answered by this process: created, replayed (same key), refused (a 4xx), voided',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const redemptionBatchSize = new Histogram({
  name: 'xinyi_redemption_batch_size',
  help: 'Redemptions per group commit (src/shop/redemption-batcher.ts); 1 = the plain one-statement redemption',
  buckets: [1, 2, 4, 8, 16, 32, 60],
  registers: [registry],
});

export const noticesDeliveredTotal = new Counter({
  name: 'xinyi_notices_delivered_total',
  help: 'Residents\' notices handled by this worker: sent (gateway took them), attempt_failed (gateway refused or did not answer; retried with backoff), failed (out of attempts), skipped (no phone or consent)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const entriesCreatedTotal = new Counter({
  name: 'xinyi_entries_created_total',
  help: 'Deed entries stored by this process, one by one or by upload',
  labelNames: ['source'] as const,
  registers: [registry],
});

export const ledgerVerifyLastOk = new Gauge({
  name: 'xinyi_ledger_verify_last_ok',
  help: '1 when the last ledger verification run by this process found nothing broken, 0 when it did (absent: none run yet)',
  registers: [registry],
});
export const ledgerVerifyLastBrokenAccounts = new Gauge({
  name: 'xinyi_ledger_verify_last_broken_accounts',
  help: 'Accounts the last ledger verification of this process reported broken',
  registers: [registry],
});
export const ledgerVerifyLastTimestamp = new Gauge({
  name: 'xinyi_ledger_verify_last_timestamp_seconds',
  help: 'When the last ledger verification of this process finished (unix seconds)',
  registers: [registry],
});

/** Records a finished verification (endpoint, auditor query or CLI). */
export function recordLedgerVerification(report: { ok: boolean; broken: unknown[] }): void {
  ledgerVerifyLastOk.set(report.ok ? 1 : 0);
  ledgerVerifyLastBrokenAccounts.set(report.broken.length);
  ledgerVerifyLastTimestamp.set(Date.now() / 1000);
}
