import { flushLogsSync } from './log-destination';

/**
 * Nest's shutdown hooks close queues and connections on SIGTERM/SIGINT. If one of them cannot
 * finish (Redis unreachable, a job that never ends) the process would never exit: an orphaned
 * worker was found doing exactly that after Redis went away. After `ms` it exits anyway, code 1.
 * Safe for the work: a job cut off is retried once its lock lapses, and finalize is one
 * transaction that rolls back whole.
 */
export function armShutdownDeadline(ms: number, log: (message: string) => void): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        log(`shutdown did not finish within ${ms} ms; exiting`);
        flushLogsSync();
        process.exit(1);
      }, ms).unref();
    });
  }
}
