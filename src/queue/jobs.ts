/**
 * The one list of queues, job names and payloads (DESIGN.md §5). Adding a job means adding it
 * here and writing exactly one `@JobHandler` for it; the worker refuses to start otherwise.
 */
export const QUEUE_NAMES = ['system', 'cycle', 'ledger', 'credit-export'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface JobPayloads {
  'system.heartbeat': { requestedAt: string };
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
};

export const JOB_NAMES = Object.keys(JOBS) as JobName[];

/** Completed/failed jobs kept for the dashboard and for auditors to see failures. */
export const JOB_RETENTION = {
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

/** How long the api waits for Redis to take a job before relying on reconcile instead. */
export const ENQUEUE_TIMEOUT_MS = 2_000;
