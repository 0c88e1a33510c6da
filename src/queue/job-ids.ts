/**
 * Job ids, built in one place (beside jobs.ts). A deterministic id is what makes a duplicate
 * enqueue harmless (JobQueue returns, revives or replaces the job under that id), so the api,
 * the worker, reconcile, the bench and the tests must all spell it the same way. BullMQ ids
 * must not be all digits nor contain ':'.
 */
export const jobIds = {
  /** One close per village-period. */
  close: (villageId: string, period: string): string => `close-${villageId}-${period}`,
  /** One finalize per village-period: publish (delayed), reconcile and the bench agree on it. */
  finalize: (villageId: string, period: string): string => `finalize-${villageId}-${period}`,
  /** One waiting export per town: 50 villages finalizing within minutes share it. */
  townExport: (townId: string): string => `export-${townId}`,
  /** Reconcile's export of whatever is pending: at most one per minute. */
  reconcileExport: (now: Date): string => `export-reconcile-${Math.floor(now.getTime() / 60_000)}`,
  /** The reconcile queued when schedulers had to be (re)installed: a new one each time. */
  reconcileAfterInstall: (pid: number, now: Date): string => `reconcile-start-${pid}-${now.getTime()}`,
  /** A delayed delivery run for the moment a notice falls due (one per second at most). */
  noticesAt: (at: Date): string => `notices-at-${Math.ceil(at.getTime() / 1000)}`,
  /** Delivery after a town admin's retry: a new run each time. */
  noticesRetry: (now: Date): string => `notices-retry-${now.getTime()}`,
  /** One year end per town and year: a second request returns the same job. */
  yearEnd: (townId: string, year: number): string => `ledger-year-end-${townId}-${year}`,
  /** A heartbeat probe: a new one each time (its id is what the caller polls). */
  heartbeat: (uuid: string): string => `heartbeat-${uuid}`,
} as const;
