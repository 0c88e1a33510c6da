/**
 * The one list of queues, job names and payloads (DESIGN.md §5). Adding a job means adding it
 * here and writing exactly one `@JobHandler` for it; the worker refuses to start otherwise.
 */
export const QUEUE_NAMES = ['system', 'cycle', 'ledger', 'credit-export', 'notices'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface JobPayloads {
  'system.heartbeat': { requestedAt: string };
  /** Hourly: fold the dashboard totals' rows of writer slots no backend holds into one (dashboard_fold_totals()). */
  'system.fold_totals': Record<string, never>;
  /** Close a town's rating year (archive ratings, reset scores, expire balances if configured). */
  'ledger.year_end': { townId: string; year: number };
  /** Scheduler tick (daily, 00:10 Asia/Shanghai): enqueue cycle.close for every village-period due (town close day reached). */
  'cycle.close_due': Record<string, never>;
  /** Close one village's cycle for a period: assess period rules, compile the review sheet. */
  'cycle.close': { villageId: string; period: string };
  /** End of the objection window: post what stands, write the checkpoint. */
  'cycle.finalize': { cycleId: string };
  /** Periodic and at worker start: re-enqueue any due work PostgreSQL says is pending. */
  'cycle.reconcile': Record<string, never>;
  /** Push pending outbox rows to the public credit platform. */
  'credit.export': { townId?: string };
  /** Send due notices by SMS (quiet hours, backoff and leases are per notice, in PostgreSQL). */
  'notices.deliver': Record<string, never>;
}
export type JobName = keyof JobPayloads;

/** Retry policy constants, named so a reader finds them in one place. */
export const RETRY = {
  default: { attempts: 5, backoff: { type: 'exponential' as const, delay: 2_000 } },
  export: { attempts: 10, backoff: { type: 'exponential' as const, delay: 5_000 } },
  none: { attempts: 1, backoff: undefined },
} as const;

export interface JobSpec {
  queue: QueueName;
  retry: (typeof RETRY)[keyof typeof RETRY];
}

export const JOBS: { readonly [K in JobName]: JobSpec } = {
  'system.heartbeat': { queue: 'system', retry: RETRY.none },
  'system.fold_totals': { queue: 'system', retry: RETRY.none },
  'ledger.year_end': { queue: 'ledger', retry: RETRY.default },
  'cycle.close_due': { queue: 'cycle', retry: RETRY.default },
  'cycle.close': { queue: 'cycle', retry: RETRY.default },
  'cycle.finalize': { queue: 'cycle', retry: RETRY.default },
  'cycle.reconcile': { queue: 'system', retry: RETRY.none },
  'credit.export': { queue: 'credit-export', retry: RETRY.export },
  // Each notice has its own attempts and backoff (src/notices/delivery-policy.ts); the job is a tick.
  'notices.deliver': { queue: 'notices', retry: RETRY.none },
};

/** Repeating schedules (BullMQ job schedulers); cron in Asia/Shanghai. Cron only enqueues. */
export const SCHEDULES = {
  /** Daily: each town closes last month on its own close day (towns.close_day), so the tick is every day. */
  closeDaily: { id: 'cycle-close-daily', pattern: '10 0 * * *', tz: 'Asia/Shanghai', job: 'cycle.close_due' },
  reconcile: { id: 'cycle-reconcile', every: 5 * 60_000, job: 'cycle.reconcile' },
  creditExport: { id: 'credit-export-every-10m', every: 10 * 60_000, job: 'credit.export' },
  noticesDeliver: { id: 'notices-deliver-every-1m', every: 60_000, job: 'notices.deliver' },
  foldTotals: { id: 'fold-totals-hourly', every: 60 * 60_000, job: 'system.fold_totals' },
} as const;

/** Schedulers of earlier versions, removed at worker start so they no longer fire. */
export const RETIRED_SCHEDULERS: ReadonlyArray<{ queue: QueueName; id: string }> = [{ queue: 'cycle', id: 'cycle-close-monthly' }];

export const JOB_NAMES = Object.keys(JOBS) as JobName[];

/** Completed/failed jobs kept for the dashboard and for auditors to see failures. */
export const JOB_RETENTION = {
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

/** How long the api waits for Redis to take a job before relying on reconcile instead. */
export const ENQUEUE_TIMEOUT_MS = 2_000;
