import cluster, { type Worker } from 'node:cluster';
import { relayMetricReports } from './metrics/cluster-metrics';

/** A process that dies sooner than this after its start is restarted only after a pause (no tight crash loop). */
const QUICK_DEATH_MS = 5_000;
const RESTART_PAUSE_MS = 1_000;

function log(level: 30 | 40 | 50, msg: string, extra: Record<string, unknown> = {}): void {
  // The same one-object-per-line shape as pino's, so collectors read the supervisor's lines too.
  process.stdout.write(`${JSON.stringify({ level, time: Date.now(), pid: process.pid, role: 'api-supervisor', msg, ...extra })}\n`);
}

/**
 * API_PROCESSES > 1: this process only supervises. It forks that many api processes, which share
 * the listening socket (the primary hands connections round-robin); one that exits is replaced, so
 * a crash or a kill costs only the requests in flight on it. SIGTERM/SIGINT are passed on and this
 * process exits when the last api process has (each runs its own graceful shutdown).
 */
export function superviseApiProcesses(count: number): void {
  let stopping = false;
  const started = new Map<number, number>();
  // Each process has a slot, 0 … count−1, which its replacement takes over: the `api_process`
  // label of its metrics (stable across restarts, unlike a pid).
  const slots = new Map<number, number>();

  const fork = (slot: number): void => {
    const worker = cluster.fork({ API_PROCESS_SLOT: String(slot) });
    started.set(worker.id, Date.now());
    slots.set(worker.id, slot);
    worker.once('online', () => log(30, `api process ${worker.process.pid} started`, { apiPid: worker.process.pid, slot }));
  };

  relayMetricReports(count);

  cluster.on('exit', (worker: Worker, code, signal) => {
    const lived = Date.now() - (started.get(worker.id) ?? 0);
    const slot = slots.get(worker.id) ?? 0;
    started.delete(worker.id);
    slots.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log(40, `api process ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`, { apiPid: worker.process.pid, slot });
    setTimeout(() => fork(slot), lived < QUICK_DEATH_MS ? RESTART_PAUSE_MS : 0).unref();
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log(30, `${signal}: stopping ${Object.keys(cluster.workers ?? {}).length} api processes`);
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  }

  log(30, `starting ${count} api processes`);
  for (let i = 0; i < count; i++) fork(i);
}

export const isClusterPrimary = (): boolean => cluster.isPrimary;

/** This process's slot when it is one of the supervisor's api processes, else null. */
export const apiProcessSlot = (): string | null => (cluster.isWorker ? (process.env.API_PROCESS_SLOT ?? String(cluster.worker?.id ?? 0)) : null);
