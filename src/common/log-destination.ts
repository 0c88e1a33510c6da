import { destination } from 'pino';

/**
 * Where every log line goes: stdout, written synchronously. pino's default destination writes
 * asynchronously, and Nest ends a SIGTERM shutdown by re-raising the signal, which killed the
 * process with the last lines ("queues closed", "workers closed", a shutdown-deadline error)
 * still in the buffer: operators did not see why a process stopped, and a CI test that looked
 * for those lines failed now and then. A synchronous write to a pipe is what console.log does
 * too; it costs microseconds per line.
 */
export const logDestination = destination({ dest: 1, sync: true });

/** Writes anything still buffered, synchronously; call right before process.exit. */
export function flushLogsSync(): void {
  try {
    logDestination.flushSync();
  } catch {
    // Not open yet, or already closed: nothing to flush.
  }
}
