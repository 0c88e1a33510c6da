/**
 * SIGTERM/SIGINT that arrive while a process is still starting. Nest installs its shutdown
 * listeners in `enableShutdownHooks()`, which can only be called on a context that exists, and
 * `NestFactory.createApplicationContext` returns one only after `init()`: the worker's queues
 * are already running by then. A signal in between met no listener and took the default action,
 * so the process died at once without closing its workers (seen in CI: SIGTERM right after
 * "workers started", and no "workers closed"). Imported first by the entry point, this listens
 * from the start and keeps the signal; `releaseStartupSignals()`, once Nest's listeners are in,
 * stops listening and raises the kept signal again, so the shutdown Nest runs for it is the
 * usual one (it waits for the initialization to settle, then closes everything).
 */
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
let received: NodeJS.Signals | null = null;
let deadline: NodeJS.Timeout | null = null;
/**
 * A start-up that never finishes (a database that does not answer) must not make the signal
 * wait forever: after SHUTDOWN_TIMEOUT_MS (its default when unset or not a number) the process
 * exits, code 1; a second signal meanwhile exits at once, as a second Ctrl-C is meant to.
 */
const keep = (signal: NodeJS.Signals): void => {
  if (received) process.exit(1);
  received = signal;
  // The environment is not validated yet (env.schema.ts's default is 30,000 too).
  const set = Number(process.env.SHUTDOWN_TIMEOUT_MS);
  const ms = set > 0 ? set : 30_000;
  deadline = setTimeout(() => {
    console.error(`${signal} during start-up, and start-up did not finish within ${ms} ms; exiting`);
    process.exit(1);
  }, ms);
  deadline.unref();
};
for (const s of SIGNALS) process.on(s, keep);

/** After `enableShutdownHooks()`: no more keeping; a signal kept meanwhile is raised again now. */
export function releaseStartupSignals(): void {
  for (const s of SIGNALS) process.off(s, keep);
  if (deadline) clearTimeout(deadline);
  if (received) process.kill(process.pid, received);
}
